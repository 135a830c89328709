// Where SliceGPT's calibration activations live and how the two activation-sized products run: the
// second moment ΣXᵀX and the rotation (X·Q)[:, :k]. The algorithm (rotate-and-slice.ts) is written
// once against this interface; two engines implement it:
//
// - host: activations are host arrays; both products run in float64 on the CPU (ORT Gemm), rounded
//   once. Exact to float64, and the default on the CPU EP.
// - device: activations stay on the GPU EP as device tensors between runs (see runtime/device.ts);
//   the rotation runs there in float32, and each batch's Gram matrix is computed there in float32
//   and summed across batches in compensated (double-float32) arithmetic, finished in float64 on the
//   host. What this trades: per-entry float32 rounding over one batch of tokens (relative, not
//   normwise, so small directions keep their own accuracy; measured 3e-7 in perplexity); the
//   eigendecomposition itself stays float64. What it buys: a LLaMA-2-7B layer at 128 × 2048 tokens
//   needs ~1.4·10¹⁴ flops of activation products, hours in float64 on a CPU.
//   Passes in float16 (`passDtype: 'f16'`, the GPU EPs' default) run the blocks as the reference runs
//   its fp16 model; the Gram matrices are still float32 products (of the float16 activations) summed
//   in compensated pairs, and rotations of activations are float32 products rounded to float16.
//   The weight rotations and shortcut products run there too, in float32: a float32 product of
//   float16/bfloat16 weights moves a stored float16/bfloat16 value by at most one unit in the last place
//   (measured on an H100 at the 7B shape: bench/results/slice-synthetic-llama2-7b-webgpu-h100-f16-passes.json);
//   their in×out copies stay on the device for the next pass (runner.adopt).
import ort, { type Tensor } from 'onnxruntime-node';
import type { AttentionWeights, EmbeddingWeights, Linear, Matrix, MlpWeights, ParallelWeights } from '../model/weights';
import type { ArchSpec } from '../model/model-source';
import type { BlockRunner, ExecutionProvider } from '../runtime/contract';
import { createBlockRunner, type OrtRunner, type PassDtype } from '../runtime/runner';
import { DeviceTensors, releaseTensor, type DeviceMoment } from '../runtime/device';
import { allocationFailure, isAllocationFailure } from '../runtime/device-failure';
import { RamBudget, type Activations, type DeviceSide } from './activations';
import { leadingColumns, rotateRows, shortcutMatrix, vecMulF64 } from './products';
import { rotateReader, rotateWriter, type Rotation } from './rotate';
import type { SecondMoment } from './pca';
import { lowerVramWords } from '../plan/vram-advice';

export interface SignalEngine {
  readonly kind: 'host' | 'device';
  embed(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number): Promise<Activations>;
  attention(w: AttentionWeights, x: Activations, batch: number, seq: number): Promise<Activations>;
  mlp(w: MlpWeights, x: Activations, batch: number, seq: number): Promise<Activations>;
  parallel(w: ParallelWeights, x: Activations, batch: number, seq: number): Promise<Activations>;
  /** Adds x's rows (keep[t] = 0 skipped) to the moment (possibly deferred: see settle). */
  moment(m: SecondMoment, x: Activations, tokens: number, keep: Uint8Array): Promise<void>;
  /** Completes every deferred addition to m (call before reading it). */
  settle(m: SecondMoment): Promise<void>;
  /** (x·Q)[:, :k] for x: batch × seq × n and Q n×n float64 — the next signal, rotated and sliced. */
  rotate(x: Activations, batch: number, seq: number, q: Float64Array, n: number, k: number): Promise<Activations>;
  /** A linear that reads the rotated signal: W·Q[:, :keep] (rotate.ts). */
  rotateReader(lin: Linear, r: Rotation, keep: number): Promise<Linear>;
  /** A linear that writes the rotated signal: (Qᵀ·W)[:keep, :], (b·Q)[:keep]. */
  rotateWriter(lin: Linear, r: Rotation, keep: number): Promise<Linear>;
  /** The shortcut Qa[:, :ka]ᵀ·Qb[:, :kb] (float32 ka×kb). */
  shortcut(qa: Float64Array, qb: Float64Array, n: number, ka: number, kb: number): Promise<Matrix>;
  /** Where device chunks of an ActivationStore go, within the engine's one device budget (undefined: host only). */
  deviceSide(): DeviceSide | undefined;
  /** Frees a chunk that is not kept in a store. */
  release(x: Activations): void;
  /** Frees what the current layer uploaded (weights, rotations). */
  endLayer(): Promise<void>;
}

const hostOnly = (x: Activations): Float32Array => {
  if (x instanceof Float32Array) return x;
  if (x.location !== 'cpu') throw new Error('the host engine was given a device tensor');
  return x.data as Float32Array;
};

/** Float64 products on host arrays through any BlockRunner. */
export function hostEngine(runner: BlockRunner): SignalEngine {
  return {
    kind: 'host',
    embed: (w, ids, b, s) => runner.embed(w, ids, b, s),
    attention: (w, x, b, s) => runner.attention(w, hostOnly(x), b, s),
    mlp: (w, x, b, s) => runner.mlp(w, hostOnly(x), b, s),
    parallel: (w, x, b, s) => runner.parallel(w, hostOnly(x), b, s),
    moment: (m, x, tokens, keep) => m.add(hostOnly(x), tokens, keep),
    settle: async () => {},
    rotate: (x, b, s, q, n, k) => rotateRows(hostOnly(x), b * s, q, n, k),
    rotateReader,
    rotateWriter,
    shortcut: shortcutMatrix,
    deviceSide: () => undefined,
    release: () => {},
    endLayer: async () => {},
  };
}

export class DeviceMemoryError extends Error {
  override name = 'DeviceMemoryError';
}

/**
 * A GPU running out of memory surfaces as an ORT error from deep inside a run; say what to change.
 * (Activations over the budget already go to host RAM: what does not fit is one batch's intermediates
 * next to the activations kept on the device, so --vram-gb is the first thing to lower; it is not part of
 * the checkpoint's key, so the run resumes where it stopped. --batch-size is, so that one starts over.) The line
 * names the budget in use and half of it to try (plan/vram-advice.ts), which the Runs room's Resume prefills.
 */
export async function guarded<T>(what: string, f: () => Promise<T>, budgetBytes: number): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    if (isAllocationFailure(m))
      throw new DeviceMemoryError(`the GPU ran out of memory in the ${what} pass (${allocationFailure(m)}): ${lowerVramWords(budgetBytes)} and resume (--resume), or use a smaller --batch-size (windows per pass; starts over)`);
    throw e;
  }
}

/**
 * Device-resident activations through a runner created with `resident` set; up to `budgetBytes` of
 * activations stay on the device (default 4 GiB), the rest goes through host RAM.
 */
export function deviceEngine(runner: OrtRunner, budgetBytes = 4 * 2 ** 30): SignalEngine {
  const dev = runner.device;
  if (!dev) throw new Error('deviceEngine needs a runner in resident mode on a device EP');
  const half = runner.half;
  const side: DeviceSide = { budget: new RamBudget(budgetBytes), download: (t) => dev.download(t) };
  // Q[:, :k] as device n×k float32, per rotation and width, until the layer ends.
  const qs = new Map<Float64Array, Map<number, Promise<Tensor>>>();
  const qOn = (q: Float64Array, n: number, k: number): Promise<Tensor> => {
    let byK = qs.get(q);
    if (!byK) qs.set(q, (byK = new Map()));
    let t = byK.get(k);
    if (!t) byK.set(k, (t = dev.upload(Float32Array.from(leadingColumns(q, n, k)), n, k)));
    return t;
  };
  const dropRotations = async () => {
    const all = [...qs.values()].flatMap((m) => [...m.values()]);
    qs.clear();
    for (const t of all) releaseTensor(await t);
  };
  const pending = new Map<SecondMoment, DeviceMoment>();
  // Chunks spilled to the host above the device budget are fed as host tensors: ORT uploads them
  // (rounded to float16 first with float16 passes, as the device chunks are).
  const asTensor = async (x: Activations, b: number, s: number): Promise<Tensor> => {
    if (!(x instanceof Float32Array)) return x;
    const t = new ort.Tensor('float32', x, [b, s, x.length / (b * s)]);
    return half ? dev.toHalf(t) : t;
  };
  const freeConverted = (x: Activations, t: Tensor) => {
    if (x instanceof Float32Array && half) releaseTensor(t);
  };
  return {
    kind: 'device',
    embed: (w, ids, b, s) => guarded('embedding', () => runner.embedTensor(w, ids, b, s), budgetBytes),
    attention: (w, x, b, s) => guarded('attention', () => runner.attentionTensor(w, x, b, s), budgetBytes),
    mlp: (w, x, b, s) => guarded('MLP', () => runner.mlpTensor(w, x, b, s), budgetBytes),
    parallel: (w, x, b, s) => guarded('block', () => runner.parallelTensor(w, x, b, s), budgetBytes),
    // Each batch's Gram is added on the device (compensated float32 pair, device.ts): the GPU queue is
    // never drained for a download mid-pass, and a pass downloads two n×n matrices instead of one per batch.
    async moment(m, x, tokens, keep) {
      if (!keep.some((k) => k)) return;
      const t = await asTensor(x, 1, tokens);
      pending.set(m, await dev.accumulate(t, keep, pending.get(m)));
      freeConverted(x, t);
    },
    async settle(m) {
      const acc = pending.get(m);
      if (!acc) return;
      pending.delete(m);
      m.addGram(await dev.settle(acc), acc.rows);
    },
    async rotate(x, b, s, q, n, k) {
      const t = await asTensor(x, b, s);
      const y = await guarded('rotation', async () => dev.matmul(t, await qOn(q, n, k)), budgetBytes);
      freeConverted(x, t);
      return y;
    },
    async rotateReader(lin, r, keep) {
      const p = await guarded('weight rotation', async () => dev.mulRight(lin.weight.data, lin.weight.rows, await qOn(r.q, r.n, keep), half), budgetBytes);
      const weight = { rows: p.rows, cols: p.cols, data: p.host };
      runner.adopt(weight.data, p.pass, 'weight');
      return lin.bias ? { weight, bias: lin.bias } : { weight };
    },
    async rotateWriter(lin, r, keep) {
      const p = await guarded('weight rotation', async () => dev.mulLeftT(await qOn(r.q, r.n, keep), lin.weight.data, lin.weight.cols, half), budgetBytes);
      const weight = { rows: p.rows, cols: p.cols, data: p.host };
      runner.adopt(weight.data, p.pass, 'weight');
      return lin.bias ? { weight, bias: await vecMulF64(lin.bias, r.q, r.n, keep) } : { weight };
    },
    async shortcut(qa, qb, n, ka, kb) {
      const p = await dev.qtq(await qOn(qa, n, ka), await qOn(qb, n, kb), half);
      runner.adopt(p.host, p.pass, 'shortcut');
      return { rows: p.rows, cols: p.cols, data: p.host };
    },
    deviceSide: () => side,
    release: (x) => {
      if (!(x instanceof Float32Array)) releaseTensor(x);
    },
    async endLayer() {
      await dropRotations();
      await runner.releaseUploads();
    },
  };
}

export type EngineKind = 'host' | 'device';

/**
 * The runner and engine for a slicing pass: 'device' (the default on GPU EPs) makes the runner resident
 * — also on the CPU EP when asked for explicitly, which runs the GPU code path there — and 'host' (the
 * CPU EP's default) keeps float64 host products.
 */
export async function createSignalEngine(
  arch: ArchSpec,
  ep: ExecutionProvider,
  o: { kind?: EngineKind; deviceBudgetBytes?: number; passDtype?: PassDtype } = {},
): Promise<{ kind: EngineKind; passDtype: PassDtype; runner: OrtRunner; engine: SignalEngine }> {
  const kind = o.kind ?? (ep === 'cpu' ? 'host' : 'device');
  // The host engine's passes are float32 (its products float64); the device engine's default follows the EP.
  // A GPU without float16 shaders falls back to float32 passes unless float16 was asked for.
  const passDtype = kind === 'host' ? 'f32' : (o.passDtype ?? (defaultPassDtype(ep) === 'f16' && (await float16Works(ep)) ? 'f16' : 'f32'));
  const runner = await createBlockRunner(arch, { ep, ...(kind === 'device' ? { resident: 'always' as const, passDtype } : {}) });
  return { kind, passDtype, runner, engine: kind === 'device' ? deviceEngine(runner, o.deviceBudgetBytes) : hostEngine(runner) };
}

/** Whether the EP runs a float16 product (WebGPU needs the adapter's shader-f16 feature). */
async function float16Works(ep: ExecutionProvider): Promise<boolean> {
  const dev = new DeviceTensors(ep);
  try {
    const x = await dev.toHalf(new ort.Tensor('float32', Float32Array.of(1, 2), [1, 1, 2]));
    const y = await dev.matmul(x, await dev.upload(Float32Array.of(1, 1), 2, 1));
    return (await dev.download(y))[0] === 3;
  } catch {
    return false;
  } finally {
    await dev.dispose();
  }
}

/** float16 passes on GPU EPs (what the reference does), float32 on the CPU. */
export const defaultPassDtype = (ep: ExecutionProvider): PassDtype => (ep === 'cpu' ? 'f32' : 'f16');
