// Batch-1 token generation in WGSL on a WebGPU device: the model's weights uploaded once (float16 packed
// two per u32, or float32), the KV cache preallocated on the device for `context` positions, and each token
// one command buffer — embedding, every layer (norm, stacked q/k/v GEMV, RoPE into the cache, scores,
// softmax·V, o GEMV plus the residual or its shortcut GEMV, norm, [gate; up] GEMV, activation, down GEMV
// plus the residual), the head and the greedy argmax — with nothing read back but the token id (or the
// logits when asked). The prompt goes in one token a step (feed): simple and exact, at the cost of a
// prompt pass that is P decode steps rather than one batched pass.
import type { ArchSpec } from '../../model/model-source';
import { MapMode, type GpuBuffer, type GpuDevice } from '../../hardware/webgpu-types';
import type { DecodeWeights } from '../decode-step';
import { ropeTables } from '../rope';
import { DeviceBuffers, type DeviceMatrix } from './device-buffers';
import { uploadModel, type DeviceModel, type DeviceNorm } from './device-weights';
import { DEFAULT_GEMV, GEMV_FLAG_ADD, GEMV_FLAG_BIAS, type GemvShape, type WeightType } from './gemv-shader';
import { DecodeKernels, encodeProgram, type Dispatch, type Workgroups } from './kernels';
import { NORM_LAYER, NORM_RMS } from './norm-shader';
import { SCORE_THREADS } from './attention-shader';
import { ACTIVATIONS } from './small-shaders';
import { wgslDecodeUnsupported } from './support';

export interface WgslDecoderOptions {
  /** Positions the KV cache holds: prompt plus generated tokens. */
  context: number;
  /** Element type of the linears on the device (default float16; float32 for exactness checks). */
  weights?: WeightType;
  /** The GEMV's threads a row and rows a workgroup (default DEFAULT_GEMV). */
  gemv?: GemvShape;
}

/** What a step reads back: nothing (a prompt token), the greedy next id, or the id and the logits. */
export type StepRead = 'none' | 'id' | 'logits';

export interface StepResult {
  next: number;
  logits?: Float32Array;
}

/** Step uniform, the id and logits the head writes, and the mappable buffer they are copied to. */
interface DecodeIo {
  step: GpuBuffer;
  id: GpuBuffer;
  logits: GpuBuffer;
  staging: GpuBuffer;
}

const MAX_GROUPS = 65535;
const grid = (n: number): Workgroups => (n <= MAX_GROUPS ? [n, 1, 1] : [MAX_GROUPS, Math.ceil(n / MAX_GROUPS), 1]);

export class WgslDecoder {
  readonly vocab: number;
  readonly context: number;
  /** Bytes of device memory held (weights, cache, activations). */
  readonly deviceBytes: number;
  #device: GpuDevice;
  #buf: DeviceBuffers;
  #program: Dispatch[];
  #step: GpuBuffer;
  #id: GpuBuffer;
  #logits: GpuBuffer;
  #staging: GpuBuffer;
  #filled = 0;
  #checked = false;

  private constructor(device: GpuDevice, buf: DeviceBuffers, { program, io, vocab }: Built, context: number) {
    this.#device = device;
    this.#buf = buf;
    this.#program = program;
    this.#step = io.step;
    this.#id = io.id;
    this.#logits = io.logits;
    this.#staging = io.staging;
    this.vocab = vocab;
    this.context = context;
    this.deviceBytes = buf.bytes;
  }

  /** Uploads `w` and builds the step's program; throws (one line) when `arch` is not supported or the device refuses. */
  static async create(device: GpuDevice, arch: ArchSpec, w: DecodeWeights, opts: WgslDecoderOptions): Promise<WgslDecoder> {
    const why = wgslDecodeUnsupported(arch);
    if (why) throw new Error(`WGSL decoding: ${why}`);
    const buf = new DeviceBuffers(device);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let dec: WgslDecoder | undefined;
    try {
      const model = uploadModel(buf, w, opts.weights ?? 'float16');
      dec = new WgslDecoder(device, buf, build(device, buf, new DecodeKernels(device, opts.gemv ?? DEFAULT_GEMV), arch, model, opts.context), opts.context);
    } finally {
      const validation = await device.popErrorScope();
      const oom = await device.popErrorScope();
      if (oom || validation || !dec) buf.dispose();
      if (oom) throw new Error(`WGSL decoding: the GPU ran out of memory for the weights and cache (${oom.message.split('\n')[0]})`);
      if (validation) throw new Error(`WGSL decoding: WebGPU validation error: ${validation.message}`);
    }
    return dec;
  }

  /** Queues token `token` at `pos` with nothing read back (a prompt token): no wait on the device. */
  feed(token: number, pos: number): void {
    this.#submit(token, pos, 'none');
  }

  /** Token `token` at `pos`: the greedy next id (and the logits with read 'logits'). */
  async step(token: number, pos: number, read: Exclude<StepRead, 'none'> = 'id'): Promise<StepResult> {
    const check = !this.#checked;
    if (check) {
      this.#device.pushErrorScope('validation');
      this.#checked = true;
    }
    this.#submit(token, pos, read);
    if (check) {
      const e = await this.#device.popErrorScope();
      if (e) throw new Error(`WGSL decoding: WebGPU validation error: ${e.message}`);
    }
    const bytes = read === 'logits' ? 16 + this.vocab * 4 : 4;
    await this.#staging.mapAsync(MapMode.READ, 0, bytes);
    try {
      const range = this.#staging.getMappedRange(0, bytes);
      const next = new Uint32Array(range, 0, 1)[0];
      return read === 'logits' ? { next, logits: new Float32Array(range.slice(16)) } : { next };
    } finally {
      this.#staging.unmap();
    }
  }

  /** Forgets the sequence: the next token must be at position 0. */
  reset(): void {
    this.#filled = 0;
  }

  dispose(): void {
    this.#buf.dispose();
  }

  #submit(token: number, pos: number, read: StepRead): void {
    if (!Number.isInteger(pos) || pos < 0 || pos > this.#filled || pos >= this.context) throw new Error(`WGSL decoding: position ${pos} is not the next one (${this.#filled}) within the context of ${this.context}`);
    if (!Number.isInteger(token) || token < 0 || token >= this.vocab) throw new Error(`WGSL decoding: token ${token} is outside the vocabulary of ${this.vocab}`);
    this.#filled = pos + 1;
    this.#device.queue.writeBuffer(this.#step, 0, Uint32Array.of(token, pos, 0, 0));
    const enc = this.#device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encodeProgram(pass, this.#program, pos);
    pass.end();
    if (read !== 'none') enc.copyBufferToBuffer(this.#id, 0, this.#staging, 0, 4);
    if (read === 'logits') enc.copyBufferToBuffer(this.#logits, 0, this.#staging, 16, this.vocab * 4);
    this.#device.queue.submit([enc.finish()]);
  }
}

interface Built {
  program: Dispatch[];
  io: DecodeIo;
  vocab: number;
}

/** The step's program over the uploaded model, with its activations, caches and read-back buffers. */
function build(device: GpuDevice, buf: DeviceBuffers, K: DecodeKernels, arch: ArchSpec, m: DeviceModel, context: number): Built {
  const H = arch.numHeads;
  const Hkv = arch.numKvHeads;
  const d = arch.headDim;
  const rot = arch.rope?.rotaryDim ?? 0;
  const widths = [m.emb.width, m.head.norm.width, ...(m.emb.projection ? [m.emb.projection.rows] : []), ...m.layers.flatMap((l) => [l.din, l.dout])];
  const W = Math.max(...widths);
  const inter = Math.max(1, ...m.layers.map((l) => l.intermediate));
  const V = m.head.vocabSize;
  // Activations: the residual stream ping-pongs A → B → A through each block; R holds a shortcut product.
  const A = buf.floats(W, 'x');
  const B = buf.floats(W, 'x1');
  const R = buf.floats(W, 'shortcut');
  const N = buf.floats(W, 'normed');
  const qkv = buf.floats((H + 2 * Hkv) * d, 'qkv');
  const q = buf.floats(H * d, 'q');
  const ao = buf.floats(H * d, 'attention');
  const hid = buf.floats(2 * inter, 'gate+up');
  const act = buf.floats(inter, 'activation');
  const scores = buf.floats(H * context, 'scores');
  const logits = buf.floats(V, 'logits');
  const id = buf.floats(1, 'next id');
  const zero = buf.floats(8, 'zero');
  const step = buf.uniform([0, 0, 0, 0], 'step');
  const table = rot > 0 ? ropeTable(buf, arch, context) : zero;
  const staging = buf.readback(16 + V * 4, 'decode read-back');

  const P: Dispatch[] = [];
  const gemv = (mat: DeviceMatrix, x: GpuBuffer, y: GpuBuffer, bias?: GpuBuffer, add?: GpuBuffer) => {
    const flags = (bias ? GEMV_FLAG_BIAS : 0) | (add ? GEMV_FLAG_ADD : 0);
    const u = buf.uniform([mat.rows, mat.words, mat.cols, flags], 'gemv');
    P.push(K.dispatch(mat.type === 'float16' ? K.gemv16 : K.gemv32, [u, mat.buffer, x, bias ?? zero, add ?? zero, y], grid(Math.ceil(mat.rows / K.gemvShape.rows))));
  };
  const norm = (n: DeviceNorm, x: GpuBuffer, y: GpuBuffer) => {
    const s = n.spec;
    const u = buf.uniform([n.width, s.kind === 'rmsnorm' ? NORM_RMS : NORM_LAYER, n.weight ? 1 : 0, 0, { f: s.kind === 'rmsnorm' ? s.divisor : 1 }, { f: s.eps }], 'norm');
    P.push(K.dispatch(K.norm, [u, x, n.weight ?? zero, n.bias ?? zero, y], [1, 1, 1]));
  };
  const row = (t: GpuBuffer, half: boolean, n: number, which: 0 | 1, offset: number, acc: boolean, y: GpuBuffer) => {
    P.push(K.dispatch(half ? K.row16 : K.row32, [buf.uniform([n, which, offset, acc ? 1 : 0], 'row'), step, t, y], [Math.ceil(n / 64), 1, 1]));
  };
  const attnParams = buf.uniform([H, Hkv, d, rot, context, H / Hkv, { f: 1 / Math.sqrt(d) }, 0], 'attention');

  // Embedding (a tied one through its projection), then learned positions.
  const e = m.emb;
  if (e.projection) {
    const src = buf.floats(e.width, 'embedding row');
    row(e.tokens, e.tokensType === 'float16', e.width, 0, 0, false, src);
    gemv(e.projection, src, A);
  } else row(e.tokens, e.tokensType === 'float16', e.width, 0, 0, false, A);
  if (e.positions) row(e.positions, false, e.projection?.rows ?? e.width, 1, e.positionOffset, true, A);

  m.layers.forEach((l, i) => {
    const kc = buf.floats(Hkv * context * d, `layer ${i} k cache`);
    const vc = buf.floats(Hkv * context * d, `layer ${i} v cache`);
    norm(l.attnNorm, A, N);
    gemv(l.qkv.m, N, qkv, l.qkv.bias);
    P.push(K.dispatch(K.rope, [attnParams, step, qkv, table, q, kc, vc], [Math.ceil(((H + 2 * Hkv) * d) / 64), 1, 1]));
    P.push(K.dispatch(K.scores, [attnParams, step, q, kc, scores], (pos) => [Math.ceil((pos + 1) / SCORE_THREADS), H, 1]));
    P.push(K.dispatch(K.attend, [attnParams, step, scores, vc, ao], [H, 1, 1]));
    if (l.attnShortcut) gemv(l.attnShortcut, A, R);
    gemv(l.o.m, ao, B, l.o.bias, l.attnShortcut ? R : A);
    // Sequential: the MLP reads norm(x1) and adds x1 (or x1·S); parallel: it reads the block's norm(x) and adds x1.
    if (l.mlpNorm) norm(l.mlpNorm, B, N);
    gemv(l.up.m, N, hid, l.up.bias);
    P.push(K.dispatch(K.act, [buf.uniform([l.intermediate, ACTIVATIONS[arch.activation], l.gated ? 1 : 0, 0], 'act'), hid, act], [Math.ceil(l.intermediate / 64), 1, 1]));
    if (l.mlpShortcut) gemv(l.mlpShortcut, B, R);
    gemv(l.down.m, act, A, l.down.bias, l.mlpShortcut ? R : B);
  });

  norm(m.head.norm, A, N);
  if (m.head.vocab) {
    const h = buf.floats(m.head.vocab.cols, 'head hidden');
    gemv(m.head.lm.m, N, h, m.head.lm.bias);
    gemv(m.head.vocab, h, logits);
  } else gemv(m.head.lm.m, N, logits, m.head.lm.bias);
  P.push(K.dispatch(K.argmax, [buf.uniform([V, 0, 0, 0], 'argmax'), logits, id], [1, 1, 1]));
  return { program: P, io: { step, id, logits, staging }, vocab: V };
}

/** cos ‖ sin of every position in the context, [context, rotaryDim], from rope.ts's tables (bit-identical to the ORT graphs' inputs). */
function ropeTable(buf: DeviceBuffers, arch: ArchSpec, context: number): GpuBuffer {
  const r = arch.rope!;
  const half = r.rotaryDim / 2;
  const { cos, sin } = ropeTables(r.theta, r.rotaryDim, 0, context, r.llama3);
  const t = new Float32Array(context * r.rotaryDim);
  for (let p = 0; p < context; p++) {
    t.set(cos.subarray(p * half, (p + 1) * half), p * r.rotaryDim);
    t.set(sin.subarray(p * half, (p + 1) * half), p * r.rotaryDim + half);
  }
  return buf.upload(t, 'rope table');
}
