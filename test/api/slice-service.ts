// A real service over a store in a temporary data folder, for tests that slice through the API and stop,
// resume or inspect the run: default output folders (<dataDir>/slices/…) land in the temporary folder too.
import { before, after } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import type { JobEndEvent } from '../../core/jobs/events';
import type { JobInput } from '../../core/api/contract';
import { sharedModel } from '../shared';

/** Small, deterministic slicing params on tiny-llama (4 layers): seconds per slice. */
export const SLICE_PARAMS = {
  model: sharedModel('tiny-llama'),
  ratio: 0.25,
  cal: 'wikitext2',
  nsamples: 16,
  seqlen: 128,
  sampling: 'first' as const,
  seed: 7,
  round: 8,
};

export interface SliceService {
  readonly dir: string;
  readonly service: SliceStudioService;
}

/** Registers before/after hooks that open the service (SLICE_STUDIO_DATA set to a fresh folder) and close and remove it. */
export function sliceService(prefix: string): SliceService {
  const saved = process.env.SLICE_STUDIO_DATA;
  const fixture = { dir: '', service: null as unknown as SliceStudioService };
  before(async () => {
    fixture.dir = mkdtempSync(join(tmpdir(), prefix));
    process.env.SLICE_STUDIO_DATA = fixture.dir;
    fixture.service = await SliceStudioService.create({
      storeFile: join(fixture.dir, 'store.db'),
      hardware: { probeProviders: false },
      runner: { graceMs: 30_000 },
    });
  });
  after(async () => {
    await fixture.service.close();
    if (saved === undefined) delete process.env.SLICE_STUDIO_DATA;
    else process.env.SLICE_STUDIO_DATA = saved;
    rmSync(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}

/** Starts a slice and cancels it at its first progress event that `when` accepts (as a user's click would). */
export async function sliceCancelledWhen(service: SliceStudioService, params: JobInput<'slice'>, when: (e: { phase: string; layer?: number }) => boolean): Promise<{ jobId: string; runId: number; end: JobEndEvent }> {
  let jobId = '';
  let cancelled = false;
  const off = service.events.subscribe((e) => {
    if (e.channel === 'job' && e.jobId === jobId && e.type === 'progress' && !cancelled && when(e)) {
      cancelled = true;
      void service.cancelJob(jobId);
    }
  });
  try {
    const started = await service.startJob({ kind: 'slice', params });
    jobId = started.jobId;
    return { ...started, end: await service.runner.wait(started.jobId) };
  } finally {
    off();
  }
}

/** The safetensors files of a folder by name, their bytes. */
export const safetensorsOf = (folder: string): Map<string, Buffer> =>
  new Map(
    readdirSync(folder)
      .filter((f) => f.endsWith('.safetensors'))
      .sort()
      .map((f) => [f, readFileSync(join(folder, f))]),
  );
