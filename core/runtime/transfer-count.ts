// Session runs and host↔device bytes of the device-resident code paths (the slicing engine's passes and
// weight products), counted as a GPU EP would move them — also on the CPU EP, where every tensor is a host
// tensor: a tensor made by a run whose output a GPU EP would leave on the device is remembered as "device",
// so feeding it later uploads nothing, and reading it on the host is a download. What `bench slice
// --profile` reports per layer; counting is a few additions per run, so it is always on.
import type ort from 'onnxruntime-node';

export interface TransferTally {
  runs: number;
  /** Runs fed at least one host tensor (on WebGPU such a run waits on a host→device copy; a device-only run is ~64 µs). */
  hostFedRuns: number;
  /** Runs with at least one host output (each waits for the device queue to drain: a sync). */
  syncs: number;
  uploadBytes: number;
  downloadBytes: number;
}

export interface TransferCounts extends TransferTally {
  /** The same, per kind of run (e.g. `pass:attention`, `products`, `upload`). */
  byKind: Record<string, TransferTally>;
}

const made = new WeakSet<ort.Tensor>();
/** Device tensors made and not yet released (releaseTensor): what outlives its owner, counted. */
let held = 0;
let counts: TransferCounts = fresh();

function fresh(): TransferCounts {
  return { runs: 0, hostFedRuns: 0, syncs: 0, uploadBytes: 0, downloadBytes: 0, byKind: {} };
}

const bytesOf = (t: ort.Tensor): number => t.size * (t.type === 'float16' || t.type === 'uint16' ? 2 : t.type === 'float64' || t.type === 'int64' ? 8 : t.type === 'uint8' || t.type === 'bool' ? 1 : 4);

/** Whether a GPU EP would have `t` on the device (an output such a run leaves there, or a device upload). */
export const onDeviceAsCounted = (t: ort.Tensor): boolean => t.location !== 'cpu' || made.has(t);

/** Marks `t` as living on the device (an upload's result, or a run's device-side output). */
export function markDevice(t: ort.Tensor): void {
  if (made.has(t)) return;
  made.add(t);
  held++;
}

/** Forgets `t` as a device tensor: it is being freed (device.ts releaseTensor; a second call does nothing). */
export function unmarkDevice(t: ort.Tensor): void {
  if (made.delete(t)) held--;
}

/**
 * Device tensors made by the counted code paths and not released yet, on any EP (the CPU EP counts the tensors a
 * GPU EP would have left on the device). Once the sessions that made them are released this must be 0 (see
 * device.ts releaseTensor): on WebGPU a tensor freed after the process's last WebGPU session crashes the process.
 */
export const deviceTensorsHeld = (): number => held;

/**
 * One session run: every fed host tensor is uploaded; outputs named in `deviceOutputs` stay on the device
 * (marked), the others are downloaded.
 */
export function countRun(kind: string, feeds: Record<string, ort.Tensor>, outputs: Record<string, ort.Tensor>, deviceOutputs: (name: string) => boolean): void {
  let up = 0;
  let down = 0;
  for (const t of Object.values(feeds)) if (!onDeviceAsCounted(t)) up += bytesOf(t);
  for (const [name, t] of Object.entries(outputs)) {
    if (deviceOutputs(name)) markDevice(t);
    else down += bytesOf(t);
  }
  add(kind, 1, up, down);
}

/** Bytes moved without a run of our own (e.g. the CPU EP's upload that returns the host tensor itself). */
export function countTransfer(kind: string, runs: number, up: number, down: number): void {
  add(kind, runs, up, down);
}

function add(kind: string, runs: number, up: number, down: number): void {
  const k = (counts.byKind[kind] ??= { runs: 0, hostFedRuns: 0, syncs: 0, uploadBytes: 0, downloadBytes: 0 });
  for (const t of [counts, k]) {
    t.runs += runs;
    if (up > 0) t.hostFedRuns += runs;
    if (down > 0) t.syncs += runs;
    t.uploadBytes += up;
    t.downloadBytes += down;
  }
}

/** The counts since the last take (and starts a new tally). */
export function takeTransferCounts(): TransferCounts {
  const c = counts;
  counts = fresh();
  return c;
}
