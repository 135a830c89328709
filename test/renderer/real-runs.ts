// Runs made by the real engine, read back through the API the renderer uses: tiny-llama sliced at 25 %
// per layer and uniformly (small calibration, so it takes seconds), each slice's perplexity on 4 windows
// (which also measures the dense model the same way, as its baseline run), and an evaluation of the
// per-layer slice on 8 PIQA items. The renderer's pure modules are tested on exactly these records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import type { JobInput, JobKind, RunDetail } from '../../core/api/contract';
import { sharedModel } from '../shared';

export const DENSE = sharedModel('tiny-llama');

export interface RealRuns {
  service: SliceStudioService;
  dir: string;
  /** Run ids by role. */
  ids: { slice: number; uniform: number; ppl: number; uniformPpl: number; eval: number };
  /** Every run in the store, as compareRuns returns it (the Runs room's `all`). */
  all: RunDetail[];
  close(): Promise<void>;
}

export async function makeRealRuns(): Promise<RealRuns> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-renderer-'));
  // The eval job keeps its items under the data folder: the temporary one, not the user's.
  const saved = process.env.SLICE_STUDIO_DATA;
  process.env.SLICE_STUDIO_DATA = dir;
  const service = await SliceStudioService.create({ storeFile: join(dir, 'store.db'), hardware: { dataDir: dir, probeProviders: false } });
  const run = async <K extends JobKind>(kind: K, params: JobInput<K>): Promise<number> => {
    const { jobId, runId } = await service.startJob({ kind, params });
    const end = await service.runner.wait(jobId);
    if (end.type !== 'done') throw new Error(`${kind} run ${runId} ended ${end.type}: ${JSON.stringify(end)}`);
    return runId;
  };
  const cal = { cal: 'wikitext2', nsamples: 8, seqlen: 64, sampling: 'first' as const, seed: 1 };
  const sliceOut = join(dir, 'tl-25');
  const uniformOut = join(dir, 'tl-u25');
  const slice = await run('slice', { model: DENSE, ratio: 0.25, out: sliceOut, ...cal });
  const uniform = await run('slice', { model: DENSE, ratio: 0.25, out: uniformOut, rotation: 'uniform', round: 32, ...cal });
  const ppl = await run('ppl', { model: sliceOut, maxWindows: 4 });
  const uniformPpl = await run('ppl', { model: uniformOut, maxWindows: 4 });
  const evalId = await run('eval', { model: sliceOut, tasks: ['piqa'], limit: 8 });
  const all = await service.compareRuns((await service.listRuns()).map((r) => r.id));
  return {
    service,
    dir,
    ids: { slice, uniform, ppl, uniformPpl, eval: evalId },
    all,
    close: async () => {
      await service.close();
      if (saved === undefined) delete process.env.SLICE_STUDIO_DATA;
      else process.env.SLICE_STUDIO_DATA = saved;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
