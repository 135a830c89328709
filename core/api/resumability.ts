// Whether a slice or recovery run can be continued from its checkpoint, and if not, why — one rule for the API's
// resumeJob and for the UI, which offers "Resume" only where it would get further than "Slice again".
// Resuming repeats the run's settings on the same input, so it only helps when the run stopped for a
// reason outside them (cancelled, the app or worker stopped, the machine ran out of memory or disk) and a
// checkpoint of at least one finished layer exists. A run that failed on its input (an empty calibration
// file, NaN weights, a checkpoint of other settings) would fail the same way again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSliceOut } from '../jobs/kinds/slice';
import { latestCheckpointStep } from '../recover/checkpoint';
import type { RunRow } from '../store/types';
import { lowerVramGb, namesVramGb, suggestedVramGb } from '../plan/vram-advice';

export interface Resumability {
  resumable: boolean;
  /** One line for the user: what resuming would do, or why it is not offered. */
  reason: string;
  /** The layer a resume would start at (0-based), when a checkpoint exists. */
  nextLayer: number | null;
  /** A resumable slice whose error asks for a lower --vram-gb (it ran out of GPU memory): resumeJob takes
   * `{ vramGb }` for it (the budget is not in the checkpoint's key). `current`: the run's own --vram-gb, null when
   * it used the job's default (half the largest GPU); `suggested`: what the error line suggests, else half of
   * `current`, else null. Absent otherwise. */
  lowerVram?: { current: number | null; suggested: number | null };
}

/** Stored errors of runs that stopped for a reason outside their settings (see the runner and the store recorder). */
const INTERRUPTION = /^(cancelled|interrupted)\b|job worker exited unexpectedly|^job crashed|ENOSPC|no space left|^disk full|^could not record the run|ENOMEM|out of memory|allocation failed/i;

/** The slice's output folder: as given, or the default the job filled in from the run id. */
export function sliceOutOf(run: Pick<RunRow, 'id' | 'settings'>): string | null {
  const s = run.settings;
  if (typeof s.out === 'string' && s.out) return s.out;
  return typeof s.model === 'string' ? defaultSliceOut(s.model, Number(s.ratio), run.id) : null;
}

function checkpointLayer(out: string): number | null {
  try {
    const state = JSON.parse(readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8')) as { nextLayer?: unknown };
    return typeof state.nextLayer === 'number' ? state.nextLayer : null;
  } catch {
    return null;
  }
}

export function resumability(run: RunRow, live: boolean): Resumability {
  const no = (reason: string): Resumability => ({ resumable: false, reason, nextLayer: null });
  // Recovery fine-tuning is recorded as a slice run too (it writes a sliced folder); its settings name its job.
  const job = typeof run.settings.job === 'string' ? run.settings.job : run.kind;
  if (run.kind !== 'slice' || (job !== 'slice' && job !== 'recover')) return no(`run ${run.id} is a ${job} run: only slice and recovery runs can be resumed`);
  if (run.status === 'done') return no(`run ${run.id} finished: there is nothing to resume`);
  if (live || run.status === 'queued') return no(`run ${run.id} is still running`);
  // A run still marked running that no job runs was cut off (the app or the machine stopped): an interruption.
  if (run.status === 'failed' && !INTERRUPTION.test(run.error ?? '')) {
    return no(`run ${run.id} failed on its input or settings, so resuming would fail the same way: fix the cause and slice again`);
  }
  if (job === 'recover') return recoverResumability(run, no);
  const out = sliceOutOf(run);
  const next = out && existsSync(out) ? checkpointLayer(out) : null;
  if (next === null) return no(`run ${run.id} stopped before finishing a layer, so there is no checkpoint: slice again`);
  const can: Resumability = { resumable: true, reason: `run ${run.id} continues from its checkpoint at layer ${next + 1}`, nextLayer: next };
  if (namesVramGb(run.error)) {
    const current = typeof run.settings.vramGb === 'number' ? run.settings.vramGb : null;
    can.lowerVram = { current, suggested: suggestedVramGb(run.error) ?? (current !== null ? lowerVramGb(current * 2 ** 30) : null) };
    can.reason += ` (with a lower --vram-gb: it ran out of GPU memory)`;
  }
  return can;
}

/** A recovery continues from `<out>/.recover/ckpt-<step>` (core/recover/checkpoint.ts); its out was filled in when it started. */
function recoverResumability(run: RunRow, no: (reason: string) => Resumability): Resumability {
  const out = run.settings.out;
  const step = typeof out === 'string' && existsSync(out) ? latestCheckpointStep(out) : null;
  if (step === null) return no(`run ${run.id} stopped before its first checkpoint: train again`);
  return { resumable: true, reason: `run ${run.id} continues from its checkpoint at step ${step}`, nextLayer: null };
}
