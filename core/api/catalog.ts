// `catalog()`: the extension-point tables as clients see them — model families, zero-shot tasks, export
// formats, named datasets — so the renderer and the CLI show the engine's own rows instead of copies.
import { DATASETS, type NamedDataset } from '../data/datasets';
import { taskInfo, type TaskInfo } from '../eval/tasks/index';
import { exportFormatInfo, type ExportFormatInfo } from '../export/formats';
import { FAMILIES } from '../model/families/index';

export interface FamilyInfo {
  id: string;
  /** The llama.cpp graph a GGUF export uses; null: no GGUF export for this family. */
  gguf: string | null;
}

export interface Catalog {
  families: FamilyInfo[];
  tasks: TaskInfo[];
  exportFormats: ExportFormatInfo[];
  datasets: NamedDataset[];
}

export function catalog(): Catalog {
  return {
    families: FAMILIES.map((f) => ({ id: f.id, gguf: f.gguf })),
    tasks: taskInfo(),
    exportFormats: exportFormatInfo(),
    datasets: DATASETS.map((d) => ({ ...d, splits: [...d.splits] })),
  };
}
