// Before a slice starts work: does this machine have the disk and the memory the planner predicts it needs?
// A 70B slice that would fill the disk after three hours, or be killed for memory, is refused at once with
// one line saying what it needs and what is free. (A resumed run has written part of its output already:
// it is checked for memory only.)
import { statfsSync, existsSync } from 'node:fs';
import { freemem } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { ModelConfig } from '../model/config';
import { predictSlice, type SlicePrediction } from '../plan/predict';
import { formatBytes } from '../plan/hardware';
import { SliceError } from './errors';
import type { OutputDtype } from './output';
import type { SliceOptions } from './slice-options';

/** The machine cannot hold this slice: not enough free disk or memory (a user error, one line). */
export class InsufficientResourcesError extends SliceError {
  override name = 'InsufficientResourcesError';
}

export interface PreflightInput {
  out: string;
  ratio: number;
  nsamples: number;
  seqlen: number;
  ep: string;
  round: number;
  rotation: 'per-layer' | 'uniform';
  resume: boolean;
  ramBudgetBytes?: number;
  deviceBudgetBytes?: number;
  outputBytesPerWeight?: number;
}

/** What the machine has: free bytes on the output's filesystem and available RAM (overridable in tests). */
export interface Available {
  diskBytes: number | null;
  ramBytes: number;
}

export function available(out: string): Available {
  let dir = resolve(out);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  let diskBytes: number | null = null;
  try {
    const s = statfsSync(dir);
    diskBytes = Number(s.bavail) * Number(s.bsize);
  } catch {
    diskBytes = null; // a filesystem that cannot say: not checked
  }
  // What the OS could give us, plus what this process already holds (the prediction counts it) — and no
  // more than a cgroup limit allows (a container, or `systemd-run -p MemoryMax=48G` for a consumer budget).
  const limit = process.constrainedMemory?.() ?? 0;
  const ramBytes = freemem() + process.memoryUsage.rss();
  return { diskBytes, ramBytes: limit > 0 && limit < ramBytes ? limit : ramBytes };
}

export function preflight(c: ModelConfig, o: PreflightInput, have: Available = available(o.out)): SlicePrediction {
  const p = predictSlice(c, {
    ratio: o.ratio,
    nsamples: o.nsamples,
    seqlen: o.seqlen,
    ep: o.ep,
    round: o.round,
    rotation: o.rotation,
    ramBudgetBytes: o.ramBudgetBytes,
    deviceBudgetBytes: o.deviceBudgetBytes,
    outputBytesPerWeight: o.outputBytesPerWeight,
  });
  const d = p.disk;
  if (!o.resume && have.diskBytes !== null && d.totalBytes > have.diskBytes) {
    const parts = [`model ${formatBytes(d.outputBytes)}`, `checkpoint ${formatBytes(d.checkpointBytes)}`, ...(d.spillBytes > 0 ? [`spilled activations ${formatBytes(d.spillBytes)}`] : [])];
    throw new InsufficientResourcesError(`not enough disk space for this slice: it needs about ${formatBytes(d.totalBytes)} (${parts.join(', ')}) in ${resolve(o.out)}, and ${formatBytes(have.diskBytes)} is free`);
  }
  if (p.peakRamBytes > have.ramBytes)
    throw new InsufficientResourcesError(`not enough memory for this slice: it needs about ${formatBytes(p.peakRamBytes)} of RAM and ${formatBytes(have.ramBytes)} is available (fewer calibration tokens, --nsamples or --seqlen, need less)`);
  return p;
}

/** A slice job's preflight (either rotation): the given calibration's size where there is one, and the output
 * counted in the slice's dtype (fp16/bf16 stay 2 bytes). Uniform mode plans no device budget of its own. */
export function preflightSlice(
  c: ModelConfig,
  o: Pick<SliceOptions, 'out' | 'ratio' | 'nsamples' | 'seqlen' | 'calibration' | 'ep' | 'round' | 'ramBudgetBytes' | 'deviceBudgetBytes'> & { resume?: boolean },
  rotation: 'per-layer' | 'uniform',
  dtype: OutputDtype,
): SlicePrediction {
  return preflight(c, {
    out: o.out,
    ratio: o.ratio,
    nsamples: o.calibration?.nsamples ?? o.nsamples,
    seqlen: o.calibration?.seqlen ?? o.seqlen,
    ep: o.ep,
    round: o.round,
    rotation,
    resume: o.resume ?? false,
    ramBudgetBytes: o.ramBudgetBytes,
    ...(rotation === 'per-layer' ? { deviceBudgetBytes: o.deviceBudgetBytes } : {}),
    outputBytesPerWeight: dtype === 'float32' ? 4 : 2,
  });
}
