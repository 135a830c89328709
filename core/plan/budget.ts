// Whether a slice fits what the machine (or the user) allows, from the planner's prediction: disk at the
// output, RAM, and on a GPU EP the GPU's memory. One function for the slice job's preflight (before any
// work) and for `plan` (the same refusal, shown before anything is started), so the two cannot disagree.
import { formatBytes, GiB } from './hardware';
import type { SlicePrediction } from './predict';
import { gibFloor } from './vram-advice';

export { DEFAULT_DEVICE_BUDGET_BYTES, DEFAULT_RAM_BUDGET_BYTES } from './budget-defaults';

export interface SliceBudgets {
  /** Free bytes where the output goes; null when the filesystem cannot say (not checked). */
  diskBytes: number | null;
  /** Where the output goes, for the message. */
  out: string;
  /** RAM the slice may use: what the OS has available, or --ram-gb where that is less. */
  ramBytes: number;
  /** Whether ramBytes is the user's --ram-gb (the message names it). */
  ramFromFlag: boolean;
  /** Memory of the GPU the slice runs on; null on the CPU EP or when no GPU is known (not checked). */
  vramBytes: number | null;
  /** Bytes of activations kept on the GPU (--vram-gb or its default), as the prediction used them. */
  deviceBudgetBytes: number;
  /** A resumed run has written part of its output: disk is not checked. */
  resume: boolean;
}

/** The one-line refusal for a slice that does not fit, or null when it does. */
export function budgetRefusal(p: SlicePrediction, b: SliceBudgets): string | null {
  const d = p.disk;
  if (!b.resume && b.diskBytes !== null && d.totalBytes > b.diskBytes) {
    const parts = [`model ${formatBytes(d.outputBytes)}`, `checkpoint ${formatBytes(d.checkpointBytes)}`, ...(d.spillBytes > 0 ? [`spilled activations ${formatBytes(d.spillBytes)}`] : [])];
    return `not enough disk space for this slice: it needs about ${formatBytes(d.totalBytes)} (${parts.join(', ')}) in ${b.out}, and ${formatBytes(b.diskBytes)} is free`;
  }
  if (p.peakRamBytes > b.ramBytes)
    return `not enough memory for this slice: it needs about ${formatBytes(p.peakRamBytes)} of RAM and ${b.ramFromFlag ? `--ram-gb allows ${formatBytes(b.ramBytes)}` : `${formatBytes(b.ramBytes)} is available`} (fewer calibration tokens, --nsamples or --seqlen, need less)`;
  const v = p.vram;
  if (v !== null && p.peakVramBytes !== null && b.vramBytes !== null && p.peakVramBytes > b.vramBytes) {
    const fixed = v.weightsBytes + v.workingBytes + v.allowanceBytes;
    const parts = `activations ${formatBytes(v.activationsBytes)} (--vram-gb ${gibFloor(b.deviceBudgetBytes)}), a layer's weights ${formatBytes(v.weightsBytes)}, one batch's intermediates ${formatBytes(v.workingBytes)}, measured allowance ${formatBytes(v.allowanceBytes)}`;
    const fits = gibFloor(b.vramBytes - fixed);
    const way = fits > 0 ? `--vram-gb ${fits} fits (activations past it go through RAM)` : `even with no activations kept on it (--vram-gb 0) it needs ${formatBytes(fixed)}: fewer windows per pass (--batch-size) or a shorter --seqlen`;
    return `not enough GPU memory for this slice: it needs about ${formatBytes(p.peakVramBytes)} of VRAM (${parts}) and the GPU has ${formatBytes(b.vramBytes)}; ${way}`;
  }
  return null;
}
