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
import type { AttentionWeights, EmbeddingWeights, LayerWeights, Linear, Matrix, MlpWeights, ParallelWeights } from '../model/weights';
import type { ArchSpec } from '../model/model-source';
import type { BlockRunner, ExecutionProvider } from '../runtime/contract';
import { createBlockRunner, type OrtRunner, type PassDtype } from '../runtime/runner';
import { DeviceTensors, releaseTensor, type DeviceMoment } from '../runtime/device';
import { allocationFailure, isAllocationFailure } from '../runtime/device-failure';
import { RamBudget, type Activations, type DeviceSide } from './activations';
import { leadingColumns32, rotateRows, shortcutMatrix, transposedColumns, vecMulF64 } from './products';
import { halfExact, type HalfExact } from '../runtime/half-weights';
import { halfJobs } from './half-forms';
import { storageOf } from '../model/lazy-half';
import type { DeviceWeight, ProductItem, ProductOut, WeightSource } from '../runtime/weight-products';
import type { OutputDtype } from './output';
import { rotateReader, rotateWriter, type Rotation } from './rotate';
import type { SecondMoment } from './pca';
import { pcaSolverFor } from './pca-solver';
import type { QMatrix } from './q-matrix';
import { lowerVramWords } from '../plan/vram-advice';
import { Laps } from '../base/laps';
import { DEFAULT_DEVICE_BUDGET_BYTES } from '../plan/budget';

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
  /** (x·Q)[:, :k] for x: batch × seq × n and Q n×n (q-matrix.ts) — the next signal, rotated and sliced. */
  rotate(x: Activations, batch: number, seq: number, q: QMatrix, n: number, k: number): Promise<Activations>;
  /** A linear that reads the rotated signal: W·Q[:, :keep] (rotate.ts). */
  rotateReader(lin: Linear, r: Rotation, keep: number): Promise<Linear>;
  /** A linear that writes the rotated signal: (Qᵀ·W)[:keep, :], (b·Q)[:keep]. */
  rotateWriter(lin: Linear, r: Rotation, keep: number): Promise<Linear>;
  /** The shortcut Qa[:, :ka]ᵀ·Qb[:, :kb] (float32 ka×kb). */
  shortcut(qa: QMatrix, qb: QMatrix, n: number, ka: number, kb: number): Promise<Matrix>;
  /** Several of the above as one step (one device run): see WeightBatch. */
  batch(): WeightBatch;
  /**
   * Readies a fused layer's weights for the products (the device engine: each linear's exact float16 form,
   * from its source as read, half-weights.ts) — called where the layer is loaded, so it runs beside the
   * previous layer's passes.
   */
  prepare(source: LayerWeights, fused: LayerWeights, turn?: () => Promise<void>): Promise<void>;
  /** Where device chunks of an ActivationStore go, within the engine's one device budget (undefined: host only). */
  deviceSide(): DeviceSide | undefined;
  /** Frees a chunk that is not kept in a store. */
  release(x: Activations): void;
  /** Frees what the current layer uploaded (weights, rotations). */
  endLayer(): Promise<void>;
  /**
   * Frees everything the engine still holds on the device — endLayer() keeps the last rotation for the next
   * layer — once its passes are done, before its runner is disposed (device.ts releaseTensor: the ownership rule).
   */
  close(): Promise<void>;
  /**
   * Seconds per part of the engine's own calls since the last take (laps.ts; the device engine: the weight
   * products' host preparation, run and finish, the rotations' conversions and uploads, the moments' download
   * and float64 finish), then starts again; the algorithm nests them under its step.
   */
  takeLaps?(): Record<string, number>;
}

/**
 * Weight products collected, then computed by run() (the device engine: one session run for all); each
 * promise settles once run() has. Results are those of the engine's single calls.
 */
export interface WeightBatch {
  reader(lin: Linear, r: Rotation, keep: number): Promise<Linear>;
  writer(lin: Linear, r: Rotation, keep: number): Promise<Linear>;
  shortcut(qa: QMatrix, qb: QMatrix, n: number, ka: number, kb: number): Promise<Matrix>;
  /** Q[:, :k]ᵀ (k×n float32): the shortcut of a probe pass back to the un-rotated basis (products.ts transposedColumns). */
  probe(q: QMatrix, n: number, k: number): Promise<Matrix>;
  /** An un-rotated weight a pass reads and a later batch's writer rotates: on the device, uploaded once for both. */
  stage(lin: Linear): void;
  run(): Promise<void>;
}

/** A promise settled later by `settle` (kept from counting as unhandled until someone awaits it). */
function later<T>(): { promise: Promise<T>; settle: (f: () => T | Promise<T>) => Promise<void> } {
  let resolve!: (v: T | Promise<T>) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  promise.catch(() => {});
  return {
    promise,
    settle: async (f) => {
      try {
        resolve(await f());
      } catch (e) {
        reject(e);
      }
    },
  };
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
    // The same float64 products, one after another.
    batch() {
      const jobs: (() => Promise<void>)[] = [];
      const add = <T>(f: () => T | Promise<T>): Promise<T> => {
        const l = later<T>();
        jobs.push(() => l.settle(f));
        return l.promise;
      };
      return {
        reader: (lin, r, keep) => add(() => rotateReader(lin, r, keep)),
        writer: (lin, r, keep) => add(() => rotateWriter(lin, r, keep)),
        shortcut: (qa, qb, n, ka, kb) => add(() => shortcutMatrix(qa, qb, n, ka, kb)),
        probe: (q, n, k) => add(() => transposedColumns(q, n, k)),
        stage: () => {},
        async run() {
          for (const j of jobs.splice(0)) await j();
        },
      };
    },
    prepare: async () => {},
    deviceSide: () => undefined,
    release: () => {},
    endLayer: async () => {},
    close: async () => {},
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
 * activations stay on the device (default DEFAULT_DEVICE_BUDGET_BYTES, 4 GiB), the rest goes through host RAM.
 */
export function deviceEngine(runner: OrtRunner, budgetBytes = DEFAULT_DEVICE_BUDGET_BYTES, o: { hostHalf?: boolean; halfUploads?: boolean; eagerHalf?: boolean; roundedMoments?: boolean } = {}): SignalEngine {
  const dev = runner.device;
  if (!dev) throw new Error('deviceEngine needs a runner in resident mode on a device EP');
  const half = runner.half;
  // Rotated weights come down float16-rounded (on the device) when the slice stores float16. Weights go up as
  // exact float16 where they are (halfUploads, the default; false: always float32, for comparisons). Rotated
  // float16 weights stay float16 bits until read (model/lazy-half.ts; eagerHalf: widened as they come down, as
  // before, for comparisons).
  const hostHalf = o.hostHalf ?? false;
  const side: DeviceSide = { budget: new RamBudget(budgetBytes), download: (t) => dev.download(t) };
  const laps = new Laps();
  // Q[:, :k] as device n×k float32, per rotation and width, until the layer ends.
  const qs = new Map<QMatrix, Map<number, Promise<Tensor>>>();
  const qOn = (q: QMatrix, n: number, k: number): Promise<Tensor> => {
    let byK = qs.get(q);
    if (!byK) qs.set(q, (byK = new Map()));
    let t = byK.get(k);
    if (!t) {
      const q32 = laps.timeSync('q.convert', () => leadingColumns32(q, n, k));
      byK.set(k, (t = laps.time('q.upload', () => dev.upload(q32, n, k))));
    }
    return t;
  };
  // The last rotation of activations is the next layer's Q_in: kept across endLayer, so it is not uploaded again.
  let lastRotation: QMatrix | null = null;
  const dropRotations = async () => {
    const kept = lastRotation ? qs.get(lastRotation) : undefined;
    const all = [...qs.entries()].filter(([q]) => q !== lastRotation).flatMap(([, m]) => [...m.values()]);
    qs.clear();
    if (kept && lastRotation) qs.set(lastRotation, kept);
    for (const t of all) releaseTensor(await t);
  };
  // Each linear's exact float16 form (half-weights.ts), made by prepare() where the layer is loaded; used once.
  const halves = new WeakMap<Float32Array, HalfExact | null>();
  // Un-rotated weights staged on the device for a later writer, until the layer ends.
  const staged = new Map<Float32Array, DeviceWeight>();
  const sourceOf = (m: Matrix): WeightSource => {
    const st = staged.get(m.data);
    if (st) return { rows: m.rows, cols: m.cols, device: st };
    const h = o.halfUploads === false ? null : halves.has(m.data) ? halves.get(m.data)! : laps.timeSync('half', () => halfExact(m.data));
    halves.delete(m.data);
    return { rows: m.rows, cols: m.cols, host: m.data, half: h };
  };
  const dropStaged = () => {
    for (const w of staged.values()) releaseTensor(w.tensor);
    staged.clear();
  };
  const batch = (): WeightBatch => {
    const jobs: { item: () => Promise<ProductItem>; done: (o: ProductOut | null, e?: unknown) => Promise<void> }[] = [];
    const add = <T>(item: () => Promise<ProductItem>, then: (o: ProductOut) => T | Promise<T>): Promise<T> => {
      const l = later<T>();
      jobs.push({
        item,
        done: (o, e) =>
          l.settle(() => {
            if (!o) throw e;
            return then(o);
          }),
      });
      return l.promise;
    };
    // A float16 result stays float16 bits until its values are read (model/lazy-half.ts); the passes adopt its
    // float32 array by identity (storageOf), which reads no value.
    const weightOf = (p: ProductOut): Matrix => (p.half ? (o.eagerHalf ? { rows: p.rows, cols: p.cols, data: p.half.data } : p.half) : { rows: p.rows, cols: p.cols, data: p.host! });
    return {
      reader: (lin, r, keep) =>
        add(
          async () => ({ op: 'mulRight', w: sourceOf(lin.weight), q: await qOn(r.q, r.n, keep), hostHalf }),
          (p) => {
            const weight = weightOf(p);
            runner.adopt(storageOf(weight), p.pass, 'weight');
            return lin.bias ? { weight, bias: lin.bias } : { weight };
          },
        ),
      writer: (lin, r, keep) =>
        add(
          async () => ({ op: 'mulLeftT', w: sourceOf(lin.weight), q: await qOn(r.q, r.n, keep), hostHalf }),
          async (p) => {
            const weight = weightOf(p);
            runner.adopt(storageOf(weight), p.pass, 'weight');
            return lin.bias ? { weight, bias: await vecMulF64(lin.bias, r.q, r.n, keep) } : { weight };
          },
        ),
      shortcut: (qa, qb, n, ka, kb) =>
        add(
          async () => ({ op: 'qtq', qa: await qOn(qa, n, ka), qb: await qOn(qb, n, kb), hostHalf }),
          (p) => {
            const m = weightOf(p);
            runner.adopt(storageOf(m), p.pass, 'shortcut');
            return m;
          },
        ),
      probe: (q, n, k) => {
        const m = transposedColumns(q, n, k);
        return add(
          async () => ({ op: 'qT', q: await qOn(q, n, k) }),
          (p) => {
            runner.adopt(m.data, p.pass, 'shortcut');
            return m;
          },
        );
      },
      stage: (lin) => {
        void add(
          async () => ({ op: 'stage', w: sourceOf(lin.weight) }),
          (p) => {
            runner.adopt(lin.weight.data, p.pass, 'weight');
            staged.set(lin.weight.data, p.raw!);
          },
        );
      },
      async run() {
        const taken = jobs.splice(0);
        if (!taken.length) return;
        let outs: ProductOut[];
        try {
          const items: ProductItem[] = [];
          for (const j of taken) items.push(await j.item());
          const parts: Record<string, number> = {};
          outs = await laps.time('device', () => guarded('weight rotation', () => dev.products(items, half, parts), budgetBytes));
          laps.under('device', parts);
        } catch (e) {
          for (const j of taken) await j.done(null, e);
          throw e;
        }
        await laps.time('finish', async () => {
          for (let i = 0; i < taken.length; i++) await taken[i].done(outs[i]);
        });
      },
    };
  };
  const single = async <T>(f: (b: WeightBatch) => Promise<T>): Promise<T> => {
    const b = batch();
    const p = f(b);
    await b.run();
    return p;
  };
  const pending = new Map<SecondMoment, DeviceMoment>();
  // The zero compensation of a rounded moment, one array per width for the job (read, never written).
  const zeros = new Map<number, Float32Array>();
  const zerosOf = (len: number) => zeros.get(len) ?? (zeros.set(len, new Float32Array(len)), zeros.get(len)!);
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
      if (o.roundedMoments) {
        // One download: the moment rounded once to float32 on the device, added as the pair (d, 0).
        const d = await laps.time('download', () => dev.settleRounded(acc));
        laps.timeSync('add', () => m.addCompensated(d, zerosOf(d.length), acc.rows));
        return;
      }
      const { s, c } = await laps.time('download', () => dev.settlePair(acc));
      laps.timeSync('add', () => m.addCompensated(s, c, acc.rows));
    },
    async rotate(x, b, s, q, n, k) {
      lastRotation = q;
      const t = await asTensor(x, b, s);
      const y = await guarded('rotation', async () => dev.matmul(t, await qOn(q, n, k)), budgetBytes);
      freeConverted(x, t);
      return y;
    },
    rotateReader: (lin, r, keep) => single((b) => b.reader(lin, r, keep)),
    rotateWriter: (lin, r, keep) => single((b) => b.writer(lin, r, keep)),
    shortcut: (qa, qb, n, ka, kb) => single((b) => b.shortcut(qa, qb, n, ka, kb)),
    batch,
    async prepare(source, fused, turn) {
      // One matrix per turn of the event loop, so the passes' runs are not held up (a 7B linear is ~0.1 s).
      for (const j of halfJobs(source, fused)) {
        await new Promise((r) => setImmediate(r));
        await turn?.();
        halves.set(j.fused, j.form());
      }
    },
    deviceSide: () => side,
    release: (x) => {
      if (!(x instanceof Float32Array)) releaseTensor(x);
    },
    async endLayer() {
      dropStaged();
      await dropRotations();
      await runner.releaseUploads();
    },
    async close() {
      lastRotation = null;
      for (const acc of pending.values()) for (const t of [...acc.s, ...acc.c]) releaseTensor(t);
      pending.clear();
      await this.endLayer();
    },
    takeLaps: () => laps.take(),
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
  o: { kind?: EngineKind; deviceBudgetBytes?: number; passDtype?: PassDtype; storeDtype?: OutputDtype } = {},
): Promise<{ kind: EngineKind; passDtype: PassDtype; runner: OrtRunner; engine: SignalEngine }> {
  const kind = o.kind ?? (ep === 'cpu' ? 'host' : 'device');
  // The host engine's passes are float32 (its products float64); the device engine's default follows the EP.
  // A GPU without float16 shaders falls back to float32 passes unless float16 was asked for.
  const passDtype = kind === 'host' ? 'f32' : (o.passDtype ?? (defaultPassDtype(ep) === 'f16' && (await float16Works(ep)) ? 'f16' : 'f32'));
  const runner = await createBlockRunner(arch, { ep, ...(kind === 'device' ? { resident: 'always' as const, passDtype } : {}) });
  const engine = kind === 'device' ? deviceEngine(runner, o.deviceBudgetBytes, { hostHalf: o.storeDtype === 'float16', roundedMoments: roundedMoments(kind, ep) }) : hostEngine(runner);
  return { kind, passDtype, runner, engine };
}

/**
 * Whether the device engine downloads each moment rounded to float32 (one n² array) rather than as its compensated
 * pair (two): where the PCA's eigensolver is the WGSL one, whose upload is float32 anyway (a CPU fallback then gets
 * the rounded moment, still float32-exact per entry). SLICE_STUDIO_MOMENT_DOWNLOAD=pair|rounded overrides.
 */
export function roundedMoments(kind: EngineKind, ep: ExecutionProvider, env: Record<string, string | undefined> = process.env): boolean {
  const choice = env.SLICE_STUDIO_MOMENT_DOWNLOAD;
  if (choice === 'pair') return false;
  if (choice === 'rounded') return true;
  if (choice) throw new Error(`SLICE_STUDIO_MOMENT_DOWNLOAD must be pair or rounded (got "${choice}")`);
  return kind === 'device' && pcaSolverFor(kind, ep, env) === 'wgsl';
}

/** Whether the EP runs a float16 product (WebGPU needs the adapter's shader-f16 feature). */
async function float16Works(ep: ExecutionProvider): Promise<boolean> {
  const dev = new DeviceTensors(ep);
  const made: Tensor[] = [];
  const keep = (t: Tensor) => (made.push(t), t);
  try {
    const x = keep(await dev.toHalf(new ort.Tensor('float32', Float32Array.of(1, 2), [1, 1, 2])));
    const y = keep(await dev.matmul(x, keep(await dev.upload(Float32Array.of(1, 1), 2, 1))));
    return (await dev.download(y))[0] === 3;
  } catch {
    return false;
  } finally {
    // Released before the sessions (device.ts releaseTensor): these may be the process's only WebGPU sessions.
    for (const t of made) releaseTensor(t);
    await dev.dispose();
  }
}

/** float16 passes on GPU EPs (what the reference does), float32 on the CPU. */
export const defaultPassDtype = (ep: ExecutionProvider): PassDtype => (ep === 'cpu' ? 'f32' : 'f16');
