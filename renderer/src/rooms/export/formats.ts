// What each export format is for: which runtimes load it, which dtypes it takes, and its limits — the
// engine's formats table (core/export/formats.ts) as the API's catalog serves it. The Export panel draws its
// compatibility matrix from it; the engine enforces the limits and refuses with its own one-line message.
import type { ExportFormatInfo } from '../../../../core/export/formats';
import { catalog } from '../../lib/catalog';

export type { ExportFormatInfo };
export type ExportFormatId = string;
export type ExportDtypeId = ExportFormatInfo['dtypes'][number];

export const exportFormats = (): ExportFormatInfo[] => catalog().exportFormats;

const NONE: ExportFormatInfo = { id: '', label: '', runtimes: '', dtypes: [], slices: '', limits: '', output: { kind: 'folder' } };
export const formatInfo = (id: ExportFormatId): ExportFormatInfo => exportFormats().find((f) => f.id === id) ?? NONE;

/** The default output name: `<model>-<format>-<dtype>`, a .gguf file for GGUF, a folder otherwise. */
export function exportName(model: string, format: ExportFormatId, dtype: ExportDtypeId): string {
  const base = model.split(/[\\/]/).filter(Boolean).pop() ?? 'model';
  const output = formatInfo(format).output;
  return `${base}-${format}-${dtype}${output.kind === 'file' ? output.extension : ''}`;
}

export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return `${dir.replace(/[\\/]+$/, '')}${sep}${name}`;
}
