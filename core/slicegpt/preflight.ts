// Before a slice starts work: does this machine have the disk, the memory and the GPU memory the planner
// predicts it needs? A 70B slice that would fill the disk after three hours, or be killed for memory, is
// refused at once with one line saying what it needs and what is free (plan/budget.ts, the same check
// `plan` shows). The RAM compared is what the OS has available, or --ram-gb where that is less; the GPU's
// memory is the detected GPU's, given by the slice job. (A resumed run has written part of its output
// already: it is not checked for disk.)
import { statfsSync, existsSync } from 'node:fs';
import { freemem } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { ModelConfig } from '../model/config';
import { predictSlice, type SlicePrediction } from '../plan/predict';
import { plannedPcaSolver } from './pca-solver';
import { budgetRefusal, DEFAULT_DEVICE_BUDGET_BYTES } from '../plan/budget';
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
  batchSize?: number;
  /** The most RAM the slice may use (--ram-gb); the available RAM where that is less. */
  ramLimitBytes?: number;
  /** Memory of the GPU the slice runs on (GPU EPs; unknown: not checked). */
  deviceMemoryBytes?: number;
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
    pcaSolver: plannedPcaSolver(o.ep),
    round: o.round,
    rotation: o.rotation,
    ramBudgetBytes: o.ramBudgetBytes,
    deviceBudgetBytes: o.deviceBudgetBytes,
    outputBytesPerWeight: o.outputBytesPerWeight,
    batchSize: o.batchSize,
  });
  const ramFromFlag = o.ramLimitBytes !== undefined && o.ramLimitBytes < have.ramBytes;
  const refusal = budgetRefusal(p, {
    diskBytes: have.diskBytes,
    out: resolve(o.out),
    ramBytes: ramFromFlag ? (o.ramLimitBytes as number) : have.ramBytes,
    ramFromFlag,
    vramBytes: o.ep !== 'cpu' && o.deviceMemoryBytes !== undefined ? o.deviceMemoryBytes : null,
    deviceBudgetBytes: o.deviceBudgetBytes ?? DEFAULT_DEVICE_BUDGET_BYTES,
    resume: o.resume,
  });
  if (refusal) throw new InsufficientResourcesError(refusal);
  return p;
}

/** A slice job's preflight (either rotation): the given calibration's size where there is one, and the output
 * counted in the slice's dtype (fp16/bf16 stay 2 bytes). Uniform mode plans no device budget of its own. */
export function preflightSlice(
  c: ModelConfig,
  o: Pick<SliceOptions, 'out' | 'ratio' | 'nsamples' | 'seqlen' | 'calibration' | 'ep' | 'round' | 'ramBudgetBytes' | 'deviceBudgetBytes' | 'batchSize' | 'ramLimitBytes' | 'deviceMemoryBytes'> & { resume?: boolean },
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
    ramLimitBytes: o.ramLimitBytes,
    batchSize: o.batchSize,
    // Uniform mode plans no device budget of its own (its passes are not what the VRAM model describes).
    ...(rotation === 'per-layer' ? { deviceBudgetBytes: o.deviceBudgetBytes, deviceMemoryBytes: o.deviceMemoryBytes } : {}),
    outputBytesPerWeight: dtype === 'float32' ? 4 : 2,
  });
}
