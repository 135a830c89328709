// A model's decode weights uploaded once to the device in the decoder's layout: q, k and v stacked into one
// GEMV (their biases likewise, zeros where one has none), gate and up stacked ([gate; up]), shortcuts
// transposed (residual' = residual·S is the GEMV Sᵀ·residual), norms' vectors as float32. The embedding table
// is in the linears' type (float16 halves a 128k-vocabulary table to 1 GiB, under the binding limits; ORT's
// float16 decoding rounds the gathered row to float16 too); learned positions stay float32.
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from '../../model/weights';
import type { GpuBuffer } from '../../hardware/webgpu-types';
import type { DecodeWeights } from '../decode-step';
import { DeviceBuffers, type DeviceMatrix } from './device-buffers';
import type { WeightType } from './gemv-shader';

export interface DeviceLinear {
  m: DeviceMatrix;
  bias?: GpuBuffer;
}

export interface DeviceNorm {
  spec: NormSpec;
  width: number;
  weight?: GpuBuffer;
  bias?: GpuBuffer;
}

export interface DeviceLayer {
  parallel: boolean;
  /** The block's input and output widths. */
  din: number;
  dout: number;
  attnNorm: DeviceNorm;
  /** Sequential blocks only. */
  mlpNorm?: DeviceNorm;
  qkv: DeviceLinear;
  o: DeviceLinear;
  gated: boolean;
  /** [gate; up] when gated, else fc1. */
  up: DeviceLinear;
  down: DeviceLinear;
  intermediate: number;
  attnShortcut?: DeviceMatrix;
  mlpShortcut?: DeviceMatrix;
}

export interface DeviceEmbedding {
  /** vocab × width, float32 or flat float16 pairs (the linears' type). */
  tokens: GpuBuffer;
  tokensType: WeightType;
  width: number;
  /** A sliced tied embedding: projectionᵀ (Dp × D), applied to the gathered row. */
  projection?: DeviceMatrix;
  positions?: GpuBuffer;
  positionOffset: number;
}

export interface DeviceHead {
  norm: DeviceNorm;
  lm: DeviceLinear;
  /** A sliced tied head: logits = vocab · lm(norm(x)). */
  vocab?: DeviceMatrix;
  vocabSize: number;
}

export interface DeviceModel {
  emb: DeviceEmbedding;
  layers: DeviceLayer[];
  head: DeviceHead;
}

const one = (m: Matrix) => ({ cols: m.cols, blocks: [{ rows: m.rows, data: m.data }] });

function transpose(m: Matrix): Matrix {
  const t = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) t[j * m.rows + i] = m.data[i * m.cols + j];
  return { rows: m.cols, cols: m.rows, data: t };
}

/** Uploads `w` with linears of element type `type`. */
export function uploadModel(buf: DeviceBuffers, w: DecodeWeights, type: WeightType): DeviceModel {
  const norm = (spec: NormSpec, width: number, label: string): DeviceNorm => ({
    spec,
    width,
    ...(spec.weight ? { weight: buf.upload(spec.weight, `${label}.weight`) } : {}),
    ...(spec.kind === 'layernorm' ? { bias: buf.upload(spec.bias, `${label}.bias`) } : {}),
  });
  const stacked = (ls: Linear[], label: string): DeviceLinear => {
    const m = buf.matrix({ cols: ls[0].weight.cols, blocks: ls.map((l) => ({ rows: l.weight.rows, data: l.weight.data })) }, type, label);
    if (!ls.some((l) => l.bias)) return { m };
    const bias = new Float32Array(m.rows);
    let at = 0;
    for (const l of ls) {
      if (l.bias) bias.set(l.bias, at);
      at += l.weight.rows;
    }
    return { m, bias: buf.upload(bias, `${label}.bias`) };
  };
  const shortcut = (s: Matrix | undefined, label: string) => (s ? buf.matrix(one(transpose(s)), type, label) : undefined);
  const layers = w.layers.map((l, i) => uploadLayer(l, i, norm, stacked, shortcut));
  return { emb: uploadEmbedding(buf, w.emb, type), layers, head: uploadHead(buf, w.head, type, norm, stacked) };
}

type NormUp = (spec: NormSpec, width: number, label: string) => DeviceNorm;
type Stack = (ls: Linear[], label: string) => DeviceLinear;

function uploadLayer(l: LayerWeights, i: number, norm: NormUp, stacked: Stack, shortcut: (s: Matrix | undefined, label: string) => DeviceMatrix | undefined): DeviceLayer {
  const at = `layer ${i}`;
  const attn = l.kind === 'sequential' ? l.attn : l.block.attn;
  const mlp = l.kind === 'sequential' ? l.mlp : l.block.mlp;
  const din = attn.q.weight.cols;
  const dout = mlp.down.weight.rows;
  const base = {
    parallel: l.kind === 'parallel',
    din,
    dout,
    qkv: stacked([attn.q, attn.k, attn.v], `${at} qkv`),
    o: stacked([attn.o], `${at} o`),
    gated: !!mlp.gate,
    up: stacked(mlp.gate ? [mlp.gate, mlp.up] : [mlp.up], `${at} ${mlp.gate ? 'gate+up' : 'fc1'}`),
    down: stacked([mlp.down], `${at} down`),
    intermediate: mlp.up.weight.rows,
  };
  if (l.kind === 'parallel') return { ...base, attnNorm: norm(l.block.norm, din, `${at} norm`), attnShortcut: shortcut(l.block.shortcut, `${at} shortcut`) };
  return {
    ...base,
    attnNorm: norm(l.attn.norm, din, `${at} attn norm`),
    mlpNorm: norm(l.mlp.norm, l.mlp.up.weight.cols, `${at} mlp norm`),
    attnShortcut: shortcut(l.attn.shortcut, `${at} attn shortcut`),
    mlpShortcut: shortcut(l.mlp.shortcut, `${at} mlp shortcut`),
  };
}

function uploadEmbedding(buf: DeviceBuffers, e: EmbeddingWeights, type: WeightType): DeviceEmbedding {
  return {
    tokens: type === 'float16' ? buf.halves(e.tokens.data, 'embedding') : buf.upload(e.tokens.data, 'embedding'),
    tokensType: type,
    width: e.tokens.cols,
    ...(e.projection ? { projection: buf.matrix(one(transpose(e.projection)), type, 'embedding projection') } : {}),
    ...(e.positions ? { positions: buf.upload(e.positions.data, 'positions') } : {}),
    positionOffset: e.positionOffset ?? 0,
  };
}

function uploadHead(buf: DeviceBuffers, h: HeadWeights, type: WeightType, norm: NormUp, stacked: Stack): DeviceHead {
  return {
    norm: norm(h.norm, h.lm.weight.cols, 'head norm'),
    lm: stacked([h.lm], 'lm head'),
    ...(h.vocab ? { vocab: buf.matrix(one(h.vocab), type, 'tied vocab') } : {}),
    vocabSize: h.vocab?.rows ?? h.lm.weight.rows,
  };
}
