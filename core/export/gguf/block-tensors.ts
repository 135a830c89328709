// One decoder block's GGUF tensors under an architecture (architectures.ts): names, shapes and how each is read
// from the block's canonical weights. The plan (names and shapes, which fix every offset) and the data come
// from this one list, so they cannot disagree.
import type { LayerWeights, Linear, NormSpec } from '../../model/weights';
import type { GgufArchitecture } from './architectures';
import { GgufExportError, GgufUnsupportedError } from './errors';
import { permuteRopeRows } from './llama';

export type SequentialBlock = Extract<LayerWeights, { kind: 'sequential' }>;

export interface BlockDims {
  /** Residual width (n_embd). */
  width: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
}

export interface BlockBiases {
  qkv: boolean;
  o: boolean;
  mlp: boolean;
}

export interface BlockTensor {
  name: string;
  /** A matrix is rows × cols (GGUF ne = [cols, rows]); a vector has no cols. */
  rows: number;
  cols?: number;
  read(b: SequentialBlock): Float32Array;
}

/** A norm's weight as the file stores it, for an input of `width` (llama.ts compensates sliced norms). */
export type NormWeight = (what: string, n: NormSpec, width: number) => Float32Array;

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function blockTensors(a: GgufArchitecture, i: number, d: BlockDims, bias: BlockBiases, norm: NormWeight): BlockTensor[] {
  const p = `blk.${i}`;
  const { width, heads: H, kvHeads: KV, headDim: hd, intermediate: F } = d;
  const weight = (what: string, l: Linear, rows: number, cols: number, biased: boolean): Linear => {
    const m = l.weight;
    if (m.rows !== rows || m.cols !== cols) throw new GgufExportError(`${p} ${what} is ${m.rows}×${m.cols}, expected ${rows}×${cols}`);
    if (biased && !l.bias) throw new GgufExportError(`${p} ${what}: the config declares a bias the checkpoint lacks`);
    if (!biased && l.bias) throw new GgufUnsupportedError(`${p} ${what} has a bias, which llama.cpp's ${a.id} graph does not read`);
    return l;
  };
  // Rows (and bias entries) of q and k in the order the architecture's rope pairs them.
  const roped = (data: Float32Array, rows: number, heads: number) => (a.interleavedRope ? permuteRopeRows({ rows, cols: data.length / rows, data }, heads).data : data);
  const q = (b: SequentialBlock) => weight('q', b.attn.q, H * hd, width, bias.qkv);
  const k = (b: SequentialBlock) => weight('k', b.attn.k, KV * hd, width, bias.qkv);
  const v = (b: SequentialBlock) => weight('v', b.attn.v, KV * hd, width, bias.qkv);
  const gate = (b: SequentialBlock) => {
    if (!b.mlp.gate) throw new GgufUnsupportedError('GGUF export needs a gated (SwiGLU) MLP');
    return weight('gate', b.mlp.gate, F, width, bias.mlp);
  };
  const up = (b: SequentialBlock) => weight('up', b.mlp.up, F, width, bias.mlp);
  const headNorm = (which: 'q' | 'k', b: SequentialBlock) => {
    const n = b.attn.qkNorm;
    if (!n) throw new GgufExportError(`${p}: llama.cpp's ${a.id} graph needs the ${which} head norm, which this model lacks`);
    // A head norm divides by head_dim over head_dim inputs: nothing to compensate, its weight goes as it is.
    return norm(`${p} ${which} head norm`, { kind: 'rmsnorm', eps: n.eps, divisor: hd, weight: which === 'q' ? n.q : n.k }, hd);
  };

  const t: BlockTensor[] = [{ name: `${p}.attn_norm.weight`, rows: width, read: (b) => norm(`${p} attention norm`, b.attn.norm, width) }];
  if (a.fused) t.push({ name: `${p}.attn_qkv.weight`, rows: (H + 2 * KV) * hd, cols: width, read: (b) => concat([q(b).weight.data, k(b).weight.data, v(b).weight.data]) });
  else {
    t.push({ name: `${p}.attn_q.weight`, rows: H * hd, cols: width, read: (b) => roped(q(b).weight.data, H * hd, H) });
    t.push({ name: `${p}.attn_k.weight`, rows: KV * hd, cols: width, read: (b) => roped(k(b).weight.data, KV * hd, KV) });
    t.push({ name: `${p}.attn_v.weight`, rows: KV * hd, cols: width, read: (b) => v(b).weight.data });
    if (bias.qkv) {
      t.push({ name: `${p}.attn_q.bias`, rows: H * hd, read: (b) => roped(q(b).bias!, H * hd, H) });
      t.push({ name: `${p}.attn_k.bias`, rows: KV * hd, read: (b) => roped(k(b).bias!, KV * hd, KV) });
      t.push({ name: `${p}.attn_v.bias`, rows: KV * hd, read: (b) => v(b).bias! });
    }
  }
  if (a.headNorms) {
    t.push({ name: `${p}.attn_q_norm.weight`, rows: hd, read: (b) => headNorm('q', b) });
    t.push({ name: `${p}.attn_k_norm.weight`, rows: hd, read: (b) => headNorm('k', b) });
  }
  t.push({ name: `${p}.attn_output.weight`, rows: width, cols: H * hd, read: (b) => weight('o', b.attn.o, width, H * hd, bias.o).weight.data });
  if (bias.o) t.push({ name: `${p}.attn_output.bias`, rows: width, read: (b) => b.attn.o.bias! });
  t.push({ name: `${p}.ffn_norm.weight`, rows: width, read: (b) => norm(`${p} MLP norm`, b.mlp.norm, width) });
  if (a.fused) t.push({ name: `${p}.ffn_up.weight`, rows: 2 * F, cols: width, read: (b) => concat([gate(b).weight.data, up(b).weight.data]) });
  else {
    t.push({ name: `${p}.ffn_gate.weight`, rows: F, cols: width, read: (b) => gate(b).weight.data });
    t.push({ name: `${p}.ffn_up.weight`, rows: F, cols: width, read: (b) => up(b).weight.data });
  }
  t.push({ name: `${p}.ffn_down.weight`, rows: width, cols: F, read: (b) => weight('down', b.mlp.down, width, F, bias.mlp).weight.data });
  if (bias.mlp) {
    t.push({ name: `${p}.ffn_gate.bias`, rows: F, read: (b) => gate(b).bias! });
    t.push({ name: `${p}.ffn_up.bias`, rows: F, read: (b) => up(b).bias! });
    t.push({ name: `${p}.ffn_down.bias`, rows: width, read: (b) => b.mlp.down.bias! });
  }
  return t;
}
