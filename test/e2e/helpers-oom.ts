// A slice that "ran out of GPU memory" for the lower-VRAM resume tests (Runs room, wizard): a real tiny-llama
// slice at an 8 GiB --vram-gb, cancelled once its first layer is checkpointed, then recorded as failed with the
// line the device engine's guard really throws for an allocation failure at that budget (no GPU here to exhaust).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { outOfMemoryLine } from '../slicegpt/oom-line';
import { Store } from '../../core/store/store';
import type { JobInfo } from '../../core/api/contract';
import type { E2eSession } from './session';
import { readRun } from './helpers-wizard';
import { SLICE_PARAMS } from '../api/slice-service';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Returns the run id of a tiny-llama slice with a checkpoint of one layer whose stored error is the 8 GiB out-of-memory line. */
export async function sliceOutOfGpuMemory(e2e: E2eSession): Promise<number> {
  const started = await e2e.api<{ jobId: string; runId: number }>('startJob', [{ kind: 'slice', params: { ...SLICE_PARAMS, nsamples: 32, seqlen: 256, vramGb: 8, out: join(e2e.data, 'oom') } }]);
  for (let cancelled = false; ; await sleep(50)) {
    const job = (await e2e.api<JobInfo[]>('listJobs')).find((j) => j.jobId === started.jobId);
    if (!job) break;
    if (!cancelled && (job.progress?.layer ?? -1) >= 1) cancelled = await e2e.api<boolean>('cancelJob', [started.jobId]);
  }
  assert.equal(readRun(e2e.dbFile, started.runId).status, 'cancelled');
  const store = Store.open(e2e.dbFile);
  store.failRun(started.runId, await outOfMemoryLine(8 * 2 ** 30));
  store.close();
  return started.runId;
}
