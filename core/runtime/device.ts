// Tensors that stay on the execution provider's device between session runs, and the few device-side
// products SliceGPT's calibration passes need (Gram matrices, rotations of activations).
//
// Why: on a GPU EP every run that is fed a host array uploads it, and every host output is downloaded.
// Measured on an H100 through WebGPU (ORT 1.30): upload ~1.3 GB/s, download ~0.6–1.1 GB/s, while a
// MatMul on device-resident inputs runs at ~15 TFLOP/s — feeding host arrays made a LLaMA-2-7B layer
// pass transfer-bound. So activations stay on the device as `gpu-buffer` outputs fed straight into the
// next run, and weights are uploaded once per layer.
//
// onnxruntime-node offers no upload/download call for WebGPU tensors (Tensor.getData() aborts the
// process there), so both are one-node sessions: Identity (or Transpose) with a gpu-buffer output
// uploads; Identity with a CPU output downloads. On the CPU EP everything is a plain host tensor and
// these calls cost nothing (or one host copy).
// With float16 passes, activations on the device are float16: uploads can round to float16, downloads
// widen back to float32, and the Gram matrices and rotations widen their float16 inputs and multiply in
// float32. The weight products (products(), weight-products.ts) are float32 and return the host result
// plus the passes' in×out copy, which stays on the device.
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph';
import { actType, toFloat, toHalf } from './graphs/primitives';
import { executionProviders } from './ep-options';
import { profileOptions, releaseSession } from './ort-profile';
import type { ExecutionProvider } from './contract';
import { countRun, countTransfer, markDevice, onDeviceAsCounted, unmarkDevice } from './transfer-count';
import { productsPlan, type ProductItem, type ProductOut } from './weight-products';
import { halfMatrix } from '../model/lazy-half';
import { stopwatch } from '../base/laps';
import { assembleSymmetric, blockEdges, blockPairs, blockedAccumulateGraph, blockedDownloadGraph, gramBlocks } from './gram-blocks';

export class DeviceError extends Error {
  override name = 'DeviceError';
}

type Kind = 'upload' | 'uploadT' | 'download' | 'downloadLast' | 'lastRow' | 'download2' | 'difference' | 'matmul' | 'sum' | 'toHalf' | `acc${'' | 'Masked'}${'' | 'First'}`;

/**
 * Compensated (Kahan) accumulation of per-batch Gram matrices on the device: the running sum is the
 * float32 pair s + c, so the sum over batches keeps about twice float32's precision, and only the
 * final pair is downloaded (and added in float64). Each ONNX op rounds once to float32 and
 * WebGPU/SPIR-V arithmetic is not reassociated, so the error-free transformation survives.
 * float16 activations are widened first: the Gram products themselves are float32.
 */
function accumulateGraph(g: GraphBuilder, masked: boolean, first: boolean, half: boolean): void {
  g.input('x', actType(half), ['B', 'S', 'N']);
  let x = g.node('Flatten', [half ? toFloat(g, 'x') : 'x'], { axis: 2 });
  if (masked) x = g.node('Mul', [x, g.input('keep', 'float32', ['R', 1])]);
  const gram = g.node('Gemm', [x, x], { transA: 1 });
  if (first) {
    g.node('Identity', [gram], {}, { out: 's' });
    g.node('Sub', [gram, gram], {}, { out: 'c' });
  } else {
    const s = g.input('s_in', 'float32', ['N', 'N']);
    const c = g.input('c_in', 'float32', ['N', 'N']);
    const y = g.node('Sub', [gram, c]);
    const t = g.node('Add', [s, y]);
    g.node('Sub', [g.node('Sub', [t, s]), y], {}, { out: 'c' });
    g.node('Identity', [t], {}, { out: 's' });
  }
  g.output('s', 'float32');
  g.output('c', 'float32');
}

/**
 * A running Σ xᵀx on the device: the compensated pair of each computed block (gram-blocks.ts: the upper blocks
 * between `edges`, one block — the whole n×n — when edges is [0, n]) and the rows it covers.
 */
export interface DeviceMoment {
  s: ort.Tensor[];
  c: ort.Tensor[];
  edges: number[];
  rows: number;
}

/** Whether a GPU EP leaves output `name` of a `kind` run on the device (downloads and sums come to the host). */
function deviceOutput(kind: Kind, name: string): boolean {
  if (kind === 'download' || kind === 'downloadLast' || kind === 'download2' || kind === 'difference' || kind === 'sum') return false;
  return true;
}

function graph(kind: Kind, half: boolean): GraphBuilder {
  const g = new GraphBuilder(`${kind}${half ? '-f16' : ''}`);
  if (kind.startsWith('acc')) {
    accumulateGraph(g, kind.includes('Masked'), kind.endsWith('First'), half);
    return g;
  }
  // `half` for the rest: upload(T) casts to float16 on the way in, download(2) widens on the way out;
  // matmul widens its float16 activations, multiplies in float32 and rounds the product to float16.
  let outType = actType(half);
  switch (kind) {
    // The same Identity: its output's location (session option) is what makes it an upload or a download.
    case 'upload':
      g.input('x', 'float32', ['A', 'B']);
      g.node('Identity', [half ? toHalf(g, 'x') : 'x'], {}, { out: 'y' });
      break;
    case 'lastRow': // the same slice, left on the device (deviceOutput) for the head
    case 'downloadLast':
      g.input('x', actType(half), ['B', 'S', 'N']);
      {
        // Slice first: widening a whole prompt pass to float32 would cost more than the download saves.
        const last = g.node('Slice', ['x', g.i64([-1]), g.i64([2 ** 62]), g.i64([1])]);
        g.node('Identity', [half ? toFloat(g, last) : last], {}, { out: 'y' });
      }
      outType = 'float32';
      break;
    case 'download2':
      g.input('x', actType(half), ['A', 'B']);
      g.node('Identity', [half ? toFloat(g, 'x') : 'x'], {}, { out: 'y' });
      outType = 'float32';
      break;
    case 'difference': // a compensated pair's s − c, rounded once to float32 on the device, downloaded
      g.node('Sub', [g.input('s', 'float32', ['A', 'B']), g.input('c', 'float32', ['A', 'B'])], {}, { out: 'y' });
      outType = 'float32';
      break;
    case 'download':
      g.input('x', actType(half), ['B', 'S', 'N']);
      g.node('Identity', [half ? toFloat(g, 'x') : 'x'], {}, { out: 'y' });
      outType = 'float32';
      break;
    case 'toHalf':
      g.input('x', 'float32', ['B', 'S', 'N']);
      g.node('Identity', [toHalf(g, 'x')], {}, { out: 'y' });
      outType = 'float16';
      break;
    case 'uploadT':
      g.input('x', 'float32', ['A', 'B']);
      g.node('Transpose', [half ? toHalf(g, 'x') : 'x'], { perm: [1, 0] }, { out: 'y' });
      break;
    case 'sum':
      g.input('x', actType(half), ['B', 'S', 'N']);
      g.node('ReduceSum', [half ? toFloat(g, 'x') : 'x'], { keepdims: 0 }, { out: 'y' });
      outType = 'float32';
      break;
    case 'matmul': {
      g.input('x', actType(half), ['B', 'S', 'N']);
      g.input('w', 'float32', ['N', 'K']);
      const y = g.node('MatMul', [half ? toFloat(g, 'x') : 'x', 'w']);
      g.node('Identity', [half ? toHalf(g, y) : y], {}, { out: 'y' });
      break;
    }
  }
  g.output('y', outType);
  return g;
}

const isHalf = (t: ort.Tensor) => t.type === 'float16';

/** Identity per input (x0… → y0…): with every output kept on the device, one run uploads them all. */
function uploadAllGraph(ranks: number[]): GraphBuilder {
  const g = new GraphBuilder(`uploadAll-${ranks.join('-')}`);
  ranks.forEach((r, i) => {
    g.input(
      `x${i}`,
      'float32',
      Array.from({ length: r }, (_, a) => `d${i}_${a}`),
    );
    g.node('Identity', [`x${i}`], {}, { out: `y${i}` });
    g.output(`y${i}`, 'float32');
  });
  return g;
}

export class DeviceTensors {
  readonly ep: ExecutionProvider;
  /** Whether tensors live apart from host memory (any EP but CPU). */
  readonly onDevice: boolean;
  #sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** Whether these sessions serve calibration passes (a buffer cache that never frees; see ep-options.ts). */
  readonly #passes: boolean;
  /** The Gram matrices' column blocks when asked (gram-blocks.ts gramBlocks: else one). */
  readonly #gramBlocks: number | undefined;

  /**
   * `passes` false for decoding: the first session of a process sets the WebGPU buffer cache for all.
   * `gramBlocks`: how many column blocks accumulate() computes Gram matrices in (default gram-blocks.ts's).
   */
  constructor(ep: ExecutionProvider, o: { passes?: boolean; gramBlocks?: number } = {}) {
    this.ep = ep;
    this.onDevice = ep !== 'cpu';
    this.#passes = o.passes ?? true;
    this.#gramBlocks = o.gramBlocks;
  }

  #session(kind: Kind, half = false): Promise<ort.InferenceSession> {
    return this.#compiled(
      `${kind}${half ? ':f16' : ''}`,
      () => graph(kind, half),
      (name) => deviceOutput(kind, name),
    );
  }

  /** The session of graph `key` (built once by `build`), its outputs for which `device` holds left on the device. */
  #compiled(key: string, build: () => GraphBuilder, device: (output: string) => boolean): Promise<ort.InferenceSession> {
    let s = this.#sessions.get(key);
    if (!s) {
      const g = build();
      const kept = this.onDevice ? g.outputNames.filter(device) : [];
      s = ort.InferenceSession.create(g.toBytes(), {
        executionProviders: executionProviders(this.ep, { passes: this.#passes }),
        graphOptimizationLevel: 'all',
        ...(kept.length ? { preferredOutputLocation: Object.fromEntries(kept.map((n) => [n, 'gpu-buffer' as const])) } : {}),
        ...profileOptions(`helper-${key}`),
      });
      s.catch(() => this.#sessions.delete(key));
      this.#sessions.set(key, s);
    }
    return s;
  }

  /** One run of a helper graph, counted as a GPU EP moves its tensors (transfer-count.ts). */
  async #run(kind: Kind, half: boolean, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    const out = await (await this.#session(kind, half)).run(feeds);
    countRun(kind, feeds, out, (name) => deviceOutput(kind, name));
    return out;
  }

  /**
   * A rows×cols host matrix as a device tensor (transposed to cols×rows when asked; rounded to float16
   * with `half`).
   */
  async upload(data: Float32Array, rows: number, cols: number, transpose = false, half = false): Promise<ort.Tensor> {
    if (data.length !== rows * cols) throw new DeviceError(`upload: ${data.length} values is not ${rows}×${cols}`);
    const x = new ort.Tensor('float32', data, [rows, cols]);
    if (!this.onDevice && !transpose && !half) {
      // The CPU EP's host tensor is its device tensor; a GPU EP would run an upload.
      countTransfer('upload', 1, data.byteLength, 0);
      markDevice(x);
      return x;
    }
    return (await this.#run(transpose ? 'uploadT' : 'upload', half, { x })).y;
  }

  /**
   * Several float32 host tensors of any rank on the device in one session run (decoding's per-token RoPE
   * tables and mask, the 1-D norm weights and biases): one host-fed run instead of one per tensor.
   */
  async uploadAll(ts: ort.Tensor[]): Promise<ort.Tensor[]> {
    for (const t of ts) if (t.type !== 'float32') throw new DeviceError(`uploadAll: ${t.type} tensors are not uploaded here`);
    if (!this.onDevice) {
      // The CPU EP's host tensors are its device tensors; a GPU EP would run one upload.
      countTransfer(
        'upload',
        1,
        ts.reduce((n, t) => n + t.size * 4, 0),
        0,
      );
      for (const t of ts) markDevice(t);
      return ts;
    }
    const key = `uploadAll:${ts.map((t) => t.dims.length).join(',')}`;
    const session = await this.#compiled(
      key,
      () => uploadAllGraph(ts.map((t) => t.dims.length)),
      () => true,
    );
    const feeds = Object.fromEntries(ts.map((t, i) => [`x${i}`, t]));
    const out = await session.run(feeds);
    countRun('upload', feeds, out, () => true);
    return ts.map((_, i) => out[`y${i}`]);
  }

  /** [batch, seq, n] float32 activations (host or device) as float16 on the device. */
  async toHalf(x: ort.Tensor): Promise<ort.Tensor> {
    rank3('toHalf', x);
    return (await this.#run('toHalf', false, { x })).y;
  }

  /** The tensor's values on the host as float32 (a download for device tensors, widened from float16). */
  async download(t: ort.Tensor): Promise<Float32Array> {
    if (t.location === 'cpu' && !isHalf(t)) {
      if (onDeviceAsCounted(t)) countTransfer('download', 1, 0, t.size * 4);
      return t.data as Float32Array;
    }
    rank3('download', t);
    return (await this.#run('download', isHalf(t), { x: t })).y.data as Float32Array;
  }

  /**
   * The last position of every row of [batch, seq, n] activations, on the host as float32 [batch, n]:
   * the head needs only it, and downloading a whole prompt pass would cost more than the head.
   */
  async downloadLast(t: ort.Tensor): Promise<Float32Array> {
    rank3('downloadLast', t);
    if (t.location === 'cpu' && !isHalf(t) && t.dims[1] === 1) {
      // The CPU EP's host tensor is the row itself; a GPU EP would download it.
      if (onDeviceAsCounted(t)) countTransfer('downloadLast', 1, 0, t.size * 4);
      return t.data as Float32Array;
    }
    return (await this.#run('downloadLast', isHalf(t), { x: t })).y.data as Float32Array;
  }

  /**
   * The last position of every row as a float32 [batch, 1, n] tensor left on the device: the head's input,
   * fed to it without a download and an upload (and the sync the download costs).
   */
  async lastRow(t: ort.Tensor): Promise<ort.Tensor> {
    rank3('lastRow', t);
    if (t.location === 'cpu' && !isHalf(t) && t.dims[1] === 1) {
      // The CPU EP's host tensor is the row itself; a GPU EP runs the slice, device to device, into a tensor of
      // its own: a new one here too (same values), owned and released apart from `t`.
      countTransfer('lastRow', 1, 0, 0);
      const y = new ort.Tensor('float32', t.data as Float32Array, t.dims);
      markDevice(y);
      return y;
    }
    return (await this.#run('lastRow', isHalf(t), { x: t })).y;
  }

  /**
   * Several weight products in one session run (weight-products.ts): each result on the host (float32, or
   * float16-rounded with the item's hostHalf, as a lazy float16 matrix) and its passes' copy on the device
   * (float16 with `half`).
   */
  async products(items: ProductItem[], half: boolean, timings?: Record<string, number>): Promise<ProductOut[]> {
    for (const it of items) {
      if (it.op === 'mulRight' && it.w.cols !== it.q.dims[0]) throw new DeviceError(`products: W is ${it.w.rows}×${it.w.cols} but Q has ${it.q.dims[0]} rows`);
      if (it.op === 'mulLeftT' && it.w.rows !== it.q.dims[0]) throw new DeviceError(`products: W is ${it.w.rows}×${it.w.cols} but Q has ${it.q.dims[0]} rows`);
    }
    const lap = stopwatch(timings ?? {});
    const plan = productsPlan(items);
    const session = await this.#compiled(`${plan.key}${half ? ':f16' : ''}`, () => plan.build(half), plan.device);
    lap('plan');
    // One run: the weights' and Q's uploads, the products, the host results' downloads.
    const out = await session.run(plan.feeds);
    lap('run');
    countRun('products', plan.feeds, out, plan.device);
    // float16 host results stay float16 bits until their values are read (model/lazy-half.ts): the lap keeps the
    // name it had when they were widened here (~9 ns a value on an H100 host), so before/after benches compare.
    const outs = items.map((it, i): ProductOut => {
      const pass = out[`yt${i}`];
      const y = out[`y${i}`];
      const result = (rows: number, cols: number): ProductOut => {
        if (!y) return { rows, cols, pass };
        if (y.type === 'float16') return { half: halfMatrix(rows, cols, y.data as Uint16Array), rows, cols, pass };
        return { host: y.data as Float32Array, rows, cols, pass };
      };
      switch (it.op) {
        case 'mulRight':
          return result(it.w.rows, it.q.dims[1]);
        case 'mulLeftT':
          return result(it.q.dims[1], it.w.cols);
        case 'qtq':
          return result(it.qa.dims[1], it.qb.dims[1]);
        case 'qT':
          return { rows: it.q.dims[1], cols: it.q.dims[0], pass };
        case 'stage': {
          const scale = 'device' in it.w ? it.w.device.scale : (it.w.half?.scale ?? null);
          return { rows: it.w.rows, cols: it.w.cols, pass, raw: { tensor: out[`r${i}`], scale } };
        }
      }
    });
    lap('widen');
    return outs;
  }

  /**
   * Adds Σ xᵀx over x's rows (keep[r] = 0 left out) to the running device moment `acc` (a new one when
   * undefined) and returns the updated moment; `acc`'s tensors are released. Nothing is downloaded.
   */
  async accumulate(x: ort.Tensor, keep: Uint8Array | undefined, acc: DeviceMoment | undefined): Promise<DeviceMoment> {
    rank3('accumulate', x);
    const rows = x.dims[0] * x.dims[1];
    const n = x.dims[2];
    const edges = acc?.edges ?? blockEdges(n, gramBlocks(n, this.#gramBlocks));
    if (edges[edges.length - 1] !== n) throw new DeviceError(`accumulate: x is ${n} wide but the moment ${edges[edges.length - 1]}`);
    let kept = rows;
    const feeds: Record<string, ort.Tensor> = { x };
    if (keep && keep.some((k) => !k)) {
      if (keep.length !== rows) throw new DeviceError(`accumulate: ${keep.length} mask entries for ${rows} rows`);
      feeds.keep = new ort.Tensor('float32', Float32Array.from(keep), [rows, 1]);
      kept = keep.reduce((a, k) => a + (k ? 1 : 0), 0);
    }
    const masked = 'keep' in feeds;
    let s: ort.Tensor[];
    let c: ort.Tensor[];
    if (edges.length === 2) {
      if (acc) {
        feeds.s_in = acc.s[0];
        feeds.c_in = acc.c[0];
      }
      const out = await this.#run(`acc${masked ? 'Masked' : ''}${acc ? '' : 'First'}` as Kind, isHalf(x), feeds);
      [s, c] = [[out.s], [out.c]];
    } else {
      const parts = blockPairs(edges.length - 1).length;
      if (acc) for (let p = 0; p < parts; p++) [feeds[`s_in${p}`], feeds[`c_in${p}`]] = [acc.s[p], acc.c[p]];
      const half = isHalf(x);
      const session = await this.#compiled(
        `accBlocks:${edges.join(',')}:${masked ? 'm' : ''}${acc ? '' : 'f'}${half ? ':f16' : ''}`,
        () => blockedAccumulateGraph(edges, masked, !acc, half),
        () => true,
      );
      const out = await session.run(feeds);
      countRun('accBlocks', feeds, out, () => true);
      s = Array.from({ length: parts }, (_, p) => out[`s${p}`]);
      c = Array.from({ length: parts }, (_, p) => out[`c${p}`]);
    }
    if (acc) for (const t of [...acc.s, ...acc.c]) releaseTensor(t);
    return { s, c, edges, rows: (acc?.rows ?? 0) + kept };
  }

  /** The device moment on the host, s − c in float64 (Kahan's c holds minus the lost low part); released. */
  async settle(acc: DeviceMoment): Promise<Float64Array> {
    const { s, c } = await this.settlePair(acc);
    const out = new Float64Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s[i] - c[i];
    return out;
  }

  /** The device moment's compensated pair on the host (the moment is s − c, float64: SecondMoment.addCompensated); released. */
  async settlePair(acc: DeviceMoment): Promise<{ s: Float32Array; c: Float32Array }> {
    if (acc.edges.length > 2) {
      const out = await this.#settleBlocks(acc, 'pair');
      const n = acc.edges[acc.edges.length - 1];
      const host = (name: string) => acc.s.map((_, p) => out[`${name}${p}`].data as Float32Array);
      return { s: assembleSymmetric(n, acc.edges, host('ys')), c: assembleSymmetric(n, acc.edges, host('yc')) };
    }
    const get = async (t: ort.Tensor) => {
      if (t.location !== 'cpu') return (await this.#run('download2', false, { x: t })).y.data as Float32Array;
      // The CPU EP's tensor is the host array; a GPU EP would download it.
      if (onDeviceAsCounted(t)) countTransfer('download2', 1, 0, t.size * 4);
      return t.data as Float32Array;
    };
    const s = await get(acc.s[0]);
    const c = await get(acc.c[0]);
    releaseTensor(acc.s[0]);
    releaseTensor(acc.c[0]);
    return { s, c };
  }

  /**
   * The device moment on the host as float32 s − c, each entry the moment rounded once (IEEE subtraction on the
   * device): one n² download instead of the pair's two, for a PCA whose eigensolver takes float32 anyway (WGSL);
   * released. A blocked moment downloads its upper blocks (one run) and is mirrored on the host.
   */
  async settleRounded(acc: DeviceMoment): Promise<Float32Array> {
    if (acc.edges.length > 2) {
      const out = await this.#settleBlocks(acc, 'difference');
      return assembleSymmetric(
        acc.edges[acc.edges.length - 1],
        acc.edges,
        acc.s.map((_, p) => out[`y${p}`].data as Float32Array),
      );
    }
    const y = (await this.#run('difference', false, { s: acc.s[0], c: acc.c[0] })).y.data as Float32Array;
    releaseTensor(acc.s[0]);
    releaseTensor(acc.c[0]);
    return y;
  }

  /** A blocked moment's parts brought to the host in one run (gram-blocks.ts blockedDownloadGraph); released. */
  async #settleBlocks(acc: DeviceMoment, mode: 'difference' | 'pair'): Promise<ort.InferenceSession.OnnxValueMapType> {
    const parts = acc.s.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (let p = 0; p < parts; p++) [feeds[`s${p}`], feeds[`c${p}`]] = [acc.s[p], acc.c[p]];
    const session = await this.#compiled(
      `downloadBlocks:${parts}:${mode}`,
      () => blockedDownloadGraph(parts, mode),
      () => false,
    );
    const out = await session.run(feeds);
    countRun(mode === 'pair' ? 'download2' : 'difference', feeds, out, () => false);
    for (const t of [...acc.s, ...acc.c]) releaseTensor(t);
    return out;
  }

  /** x ([B, S, n]) · w (n × k float32) on the device: [B, S, k], of x's element type (a float32 product). */
  async matmul(x: ort.Tensor, w: ort.Tensor): Promise<ort.Tensor> {
    rank3('matmul', x);
    if (w.dims[0] !== x.dims[2]) throw new DeviceError(`matmul: x is ${x.dims.join('×')} but w is ${w.dims.join('×')}`);
    return (await this.#run('matmul', isHalf(x), { x, w })).y;
  }

  /** Waits until t has been computed (a one-float download): for timing device work, which is queued. */
  async sync(t: ort.Tensor): Promise<void> {
    if (t.location === 'cpu') return;
    rank3('sync', t);
    await this.#run('sum', isHalf(t), { x: t });
  }

  async dispose(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) await releaseSession(await s.catch(() => null));
  }
}

// Activations are [batch, seq, width] everywhere; reshaping a device tensor from JS is not supported
// by onnxruntime-node, so the graphs take rank 3 and flatten inside.
function rank3(op: string, t: ort.Tensor): void {
  if (t.dims.length !== 3) throw new DeviceError(`${op}: expected a [batch, seq, width] tensor, got ${t.dims.join('×')}`);
}

/**
 * Frees a device tensor's buffer (no-op for host tensors, which are only forgotten as counted device tensors).
 * Ownership rule: every device tensor is released by its owner before the sessions of its process are: ORT's
 * WebGPU EP destroys its device context (and the buffer manager its tensors free into) when the process's last
 * WebGPU session is released, so a device tensor freed later — by release() or by the garbage collector —
 * frees into destroyed memory and the process dies of SIGSEGV (reproduced on SwiftShader, docs/DECISIONS.md).
 */
export function releaseTensor(t: ort.Tensor): void {
  unmarkDevice(t);
  if (t.location !== 'cpu' && t.location !== 'none') t.dispose();
}
