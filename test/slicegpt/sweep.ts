// Slice one shared model at several ratios through the full job (sliceModel → folder → SlicedModelSource)
// and score each on a fixed prefix of the WikiText-2 test windows. The folders are written in float32 (compute
// precision) so these numbers measure the algorithm, not float16 storage rounding (see bench/slice.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { perplexityOfIds } from '../../core/runtime/perplexity';
import { quietContext } from '../../core/base/job-context';
import { modelPath, sliceOptions, testIds, withRunner } from './helpers';

export interface SweepPoint {
  ratio: number;
  d: number;
  ppl: number;
}

export interface SweepOptions {
  nsamples: number;
  seqlen: number;
  evalWindows: number;
  engine?: 'host' | 'device';
  passDtype?: 'f16' | 'f32';
  batchSize?: number;
  /** Score the dense model too (most callers compare slices with each other and skip it). */
  dense?: boolean;
}

const DEFAULTS: SweepOptions = { nsamples: 8, seqlen: 256, evalWindows: 8 };

export async function sweep(name: string, ratios: number[], o: SweepOptions & { dense: true }): Promise<{ dense: number; points: SweepPoint[] }>;
export async function sweep(name: string, ratios: number[], o?: SweepOptions): Promise<{ points: SweepPoint[] }>;
export async function sweep(name: string, ratios: number[], o: SweepOptions = DEFAULTS): Promise<{ dense?: number; points: SweepPoint[] }> {
  const folder = modelPath(name);
  const dense = await openModel(folder);
  const ids = await testIds(folder, o.evalWindows);
  const score = async (src: Parameters<typeof perplexityOfIds>[0], runner: Parameters<typeof perplexityOfIds>[1]) => (await perplexityOfIds(src, runner, ids, { seqLen: 256 })).ppl;
  const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: o.nsamples, seqlen: o.seqlen, sampling: 'first', seed: 0 });
  const dir = mkdtempSync(join(tmpdir(), `slice-${name}-`));
  try {
    return await withRunner(dense, async (runner) => {
      const densePpl = o.dense ? await score(dense, runner) : undefined;
      const points: SweepPoint[] = [];
      for (const ratio of ratios) {
        const out = join(dir, String(ratio));
        const r = await sliceModel(
          quietContext(),
          sliceOptions(folder, out, {
            ratio,
            nsamples: o.nsamples,
            seqlen: o.seqlen,
            calibration,
            dtype: 'float32',
            ...(o.engine ? { engine: o.engine } : {}),
            ...(o.passDtype ? { passDtype: o.passDtype } : {}),
            ...(o.batchSize ? { batchSize: o.batchSize } : {}),
          }),
        );
        points.push({ ratio, d: r.d, ppl: await score(await openAnyModel(out), runner) });
      }
      return densePpl === undefined ? { points } : { dense: densePpl, points };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** sweep() with one environment variable set for its duration (an engine switch under test), then removed. */
export async function sweepWith(variable: string, value: string, name: string, ratios: number[], o: SweepOptions): Promise<{ points: SweepPoint[] }> {
  process.env[variable] = value;
  try {
    return await sweep(name, ratios, o);
  } finally {
    delete process.env[variable];
  }
}
