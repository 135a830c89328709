// Slice one shared model at several ratios through the full job (sliceModel → folder → SlicedModelSource)
// and score each on a fixed prefix of the WikiText-2 test windows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { perplexity } from '../../core/slicegpt/protocol';
import { quietContext } from '../../core/jobs/context';
import { modelPath, testWindows, withRunner } from './helpers';

export interface SweepPoint {
  ratio: number;
  d: number;
  ppl: number;
}

export async function sweep(name: string, ratios: number[], o = { nsamples: 8, seqlen: 256, evalWindows: 8 }): Promise<{ dense: number; points: SweepPoint[] }> {
  const folder = modelPath(name);
  const dense = await openModel(folder);
  const windows = testWindows(folder, o.evalWindows);
  const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: o.nsamples, seqlen: o.seqlen, sampling: 'first', seed: 0 });
  const dir = mkdtempSync(join(tmpdir(), `slice-${name}-`));
  try {
    return await withRunner(dense, async (runner) => {
      const densePpl = await perplexity(dense, runner, windows);
      const points: SweepPoint[] = [];
      for (const ratio of ratios) {
        const out = join(dir, String(ratio));
        const r = await sliceModel(quietContext(), { model: folder, ratio, cal: 'wikitext2', nsamples: o.nsamples, seqlen: o.seqlen, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, calibration });
        points.push({ ratio, d: r.d, ppl: await perplexity(await openAnyModel(out), runner, windows) });
      }
      return { dense: densePpl, points };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
