// A device that fails mid-run — out of memory, or gone (a GPU lost, reset or unplugged) — surfaces as an ORT
// error from deep inside a session run: a multi-line message with ORT's source paths. Here it becomes one
// line that says what happened and what to change; on a GPU execution provider that includes the CPU
// fallback (--ep cpu), which needs no VRAM. SliceGPT's device passes (slicegpt/engine.ts guarded) and
// inference (decode-step.ts forwardCached: generation and the speed bench) share the recognition.
import type { ExecutionProvider } from './contract';

/** Out of memory while decoding (generation, the speed bench): a user error, one line. */
export class InferenceMemoryError extends Error {
  override name = 'InferenceMemoryError';
}

/** The device went away mid-run: a user error, one line. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

const ALLOCATION = /out of memory|\boom\b|failed to allocate|allocation/i;
/** WebGPU's "device lost", DirectML's DXGI_ERROR_DEVICE_REMOVED, CUDA's sticky errors after a reset or an Xid. */
const LOST =
  /device (?:is |was |has been )?lost|devicelost|cudaErrorDevicesUnavailable|cudaErrorNoDevice|cudaErrorLaunchFailure|unspecified launch failure|CUDA failure 999|fallen off the bus|device removed|DXGI_ERROR_DEVICE_REMOVED|887A0005|gpu hang/i;

export const isAllocationFailure = (m: string): boolean => ALLOCATION.test(m);
export const isDeviceLost = (m: string): boolean => LOST.test(m);

/**
 * What an allocation failure of ORT says, in a few words: "failed to allocate 8.00 GiB" from the arena's
 * "… Failed to allocate memory for requested buffer of size 8589934592", else its first line without ORT's
 * source location.
 */
export function allocationFailure(m: string): string {
  const size = /failed to allocate[^\n]*?size (\d+)/i.exec(m);
  if (size) {
    const n = Number(size[1]);
    return `failed to allocate ${n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`}`;
  }
  const first = m.split('\n')[0];
  return (/(out of memory|failed to allocate|allocation)[^.;]*/i.exec(first)?.[0] ?? first).slice(0, 160);
}

/** ORT's first line without its "[E:onnxruntime:…] file.cc:123 Function" prefix, short. */
function firstLine(m: string): string {
  const line = m.split('\n')[0].replace(/^.*?\.(?:cc|cpp|h):\d+\s+\S+\s*/, '');
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

/**
 * `e` as the one-line error of an inference pass over `batch` × `seq` tokens on `ep`, when it is a device
 * failure (out of memory, device lost); else `e` itself. The original error stays as `cause`.
 */
export function inferenceFailure(ep: ExecutionProvider, e: unknown, batch: number, seq: number): unknown {
  if (e instanceof InferenceMemoryError || e instanceof DeviceLostError) return e;
  const m = e instanceof Error ? e.message : String(e);
  const where = `a pass over ${batch} × ${seq} tokens`;
  const smaller = batch > 1 ? 'use a shorter prompt or a smaller batch' : 'use a shorter prompt';
  if (isAllocationFailure(m)) {
    if (ep === 'cpu') return new InferenceMemoryError(`out of memory on the CPU in ${where} (${allocationFailure(m)}): ${smaller}`, { cause: e });
    return new InferenceMemoryError(`the GPU (${ep}) ran out of memory in ${where} (${allocationFailure(m)}): run on the CPU instead (--ep cpu; host memory, slower), or ${smaller}`, { cause: e });
  }
  if (ep !== 'cpu' && isDeviceLost(m)) return new DeviceLostError(`the GPU (${ep}) was lost mid-run (${firstLine(m)}): run on the CPU instead (--ep cpu), or again once the GPU is back`, { cause: e });
  return e;
}
