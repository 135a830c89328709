// What the Export panel needs to know about the folder it exports: whether it is dense, a per-layer
// slice (shortcut matrices: no GGUF) or a uniform slice, and the dtype its weights came in (the default
// export type, so an f16 model is not exported as f32 by default).
import { api } from '../../lib/api';
import { outputOf } from '../../lib/run-facts';
import type { ExportDtypeId } from './formats';

export type ModelShape = 'dense' | 'per-layer' | 'uniform' | 'sliced';

export interface ExportModelFacts {
  shape: ModelShape;
  /** The source model's dtype as an export type (f16 for float16/bfloat16, else f32); null when unknown. */
  sourceDtype: ExportDtypeId | null;
}

const DTYPES: Record<string, ExportDtypeId> = { float16: 'f16', bfloat16: 'f16', F16: 'f16', BF16: 'f16', float32: 'f32', F32: 'f32' };

export async function exportModelFacts(model: string): Promise<ExportModelFacts> {
  const [inspection, slices] = await Promise.all([api.inspectModel(model), api.listRuns({ kind: 'slice', status: 'done', limit: 200 })]);
  // config.json keeps the source's torch dtype in a sliced folder too; the stored dtypes are the fallback.
  const configDtype = inspection.config?.dtype ?? null;
  const stored = Object.entries(inspection.dtypes).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const sourceDtype = (configDtype && DTYPES[configDtype]) || (stored && DTYPES[stored]) || null;
  const isSliced = inspection.files.some((f) => f.name === 'slicing_config.json');
  if (!isSliced) return { shape: 'dense', sourceDtype };
  const run = slices.find((r) => outputOf(r) === model);
  const rotation = run ? (run.settings['rotation'] ?? 'per-layer') : null;
  return { shape: rotation === 'uniform' ? 'uniform' : rotation === 'per-layer' ? 'per-layer' : 'sliced', sourceDtype };
}
