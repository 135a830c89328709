// "Quality by rotation": for a slice being exported, the WikiText-2 perplexity of the latest finished
// per-layer and uniform slices of the same dense model at the same ratio, read from the store. A slice's
// perplexity lives on its ppl / eval child runs (parentRunId = the slice), metric `ppl` without a task.
import { runResultOf, type RunSummary, type SliceStudioClient } from '../../../../core/api/contract';

/** The two store reads this needs: the app's client, or the service itself in a test. */
export type RunReader = Pick<SliceStudioClient, 'listRuns' | 'getRun'>;

export type Rotation = 'per-layer' | 'uniform';

export interface RotationQuality {
  dense: string;
  ratio: number;
  /** Per rotation: the slice run shown and its perplexity (null where none was measured). */
  rows: Record<Rotation, { sliceRunId: number; pplRunId: number; ppl: number } | null>;
}

const trim = (p: string) => p.replace(/[\\/]+$/, '');
/** Older runs have no `rotation` setting: they are per-layer. */
export const rotationOf = (r: RunSummary): Rotation => (r.settings['rotation'] === 'uniform' ? 'uniform' : 'per-layer');
const outOf = (r: RunSummary): string | null => {
  const out = runResultOf(r, 'slice')?.out ?? r.settings['out'];
  return typeof out === 'string' ? trim(out) : null;
};

/** The latest perplexity measured on a slice's output, or null. */
async function pplOf(api: RunReader, slice: RunSummary): Promise<{ pplRunId: number; ppl: number } | null> {
  const children = await api.listRuns({ parentRunId: slice.id, status: 'done', limit: 100 });
  // Newest first: the first child carrying a plain `ppl` metric wins.
  for (const c of children) {
    if (c.kind !== 'ppl' && c.kind !== 'eval') continue;
    const m = (await api.getRun(c.id)).metrics.find((x) => x.name === 'ppl' && x.task === null);
    if (m) return { pplRunId: c.id, ppl: m.value };
  }
  return null;
}

/** Null when `model` is not the output of a finished slice (a dense model has no ratio to compare at). */
export async function rotationQuality(api: RunReader, model: string): Promise<RotationQuality | null> {
  const slices = await api.listRuns({ kind: 'slice', status: 'done', limit: 500 });
  const own = slices.find((r) => outOf(r) === trim(model));
  if (!own) return null;
  const dense = own.settings['model'];
  const ratio = own.settings['ratio'];
  if (typeof dense !== 'string' || typeof ratio !== 'number') return null;
  const peers = slices.filter((r) => r.settings['model'] === dense && r.settings['ratio'] === ratio);
  const rows: RotationQuality['rows'] = { 'per-layer': null, uniform: null };
  for (const rotation of ['per-layer', 'uniform'] as const) {
    // The latest finished slice of this rotation that has a perplexity.
    for (const s of peers.filter((r) => rotationOf(r) === rotation)) {
      const p = await pplOf(api, s);
      if (p) {
        rows[rotation] = { sliceRunId: s.id, ...p };
        break;
      }
    }
  }
  return { dense, ratio, rows };
}
