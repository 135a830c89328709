// The canonical weights of one block as the runtime's block graphs name their inputs (`norm.weight`,
// `q.weight`, `shortcut`, …), with the graph signature that goes with them. Mirrors what the runtime's
// runner feeds per run (core/runtime/runner.ts), so an inlined block sees the very same tensors.
import type { ArchSpec } from '../model/model-source';
import { attnSig, hasBias, mlpSig, normSig, type BlockSig } from '../runtime/graphs/signature';
import type { AttentionWeights, EmbeddingWeights, HeadWeights, Linear, Matrix, MlpWeights, NormSpec, ParallelWeights } from '../model/weights';
import type { WeightFeed } from './onnx-assembler';

type Feeds = Record<string, WeightFeed>;

/** Matrices may be stored as float16; vectors (norms, biases) and shortcut matrices stay float32. */
const matrix = (m: Matrix, half = true): WeightFeed => ({ dims: [m.rows, m.cols], data: m.data, half });
const vector = (v: Float32Array): WeightFeed => ({ dims: [v.length], data: v, half: false });

function norm(f: Feeds, n: NormSpec): void {
  if (n.kind === 'layernorm') {
    f['norm.weight'] = vector(n.weight);
    f['norm.bias'] = vector(n.bias);
  } else if (n.weight) f['norm.weight'] = vector(n.weight);
}

function linear(f: Feeds, p: string, l: Linear | undefined): void {
  if (!l) return;
  f[`${p}.weight`] = matrix(l.weight);
  if (l.bias) f[`${p}.bias`] = vector(l.bias);
}

function attn(f: Feeds, w: Omit<AttentionWeights, 'norm' | 'shortcut'>): void {
  for (const p of ['q', 'k', 'v', 'o'] as const) linear(f, p, w[p]);
  if (w.qkNorm) {
    f['q_norm.weight'] = vector(w.qkNorm.q);
    f['k_norm.weight'] = vector(w.qkNorm.k);
  }
}

function mlp(f: Feeds, w: Omit<MlpWeights, 'norm' | 'shortcut'>): void {
  linear(f, 'gate', w.gate);
  linear(f, 'up', w.up);
  linear(f, 'down', w.down);
}

// Shortcuts are products of two orthogonal matrices: kept float32 (as the sliced folder keeps them).
function shortcut(f: Feeds, s: Matrix | undefined): void {
  if (s) f.shortcut = matrix(s, false);
}

export interface Block {
  sig: BlockSig;
  weights: Feeds;
}

export function embedBlock(e: EmbeddingWeights): Block {
  const weights: Feeds = { tokens: matrix(e.tokens) };
  // A tied embedding's factor is a product of orthogonal matrices, like a shortcut: float32.
  if (e.projection) weights.projection = matrix(e.projection, false);
  if (e.positions) weights.positions = matrix(e.positions);
  return { sig: { kind: 'embed', positions: !!e.positions, offset: e.positionOffset ?? 0, ...(e.projection ? { projection: true as const } : {}) }, weights };
}

export function attentionBlock(arch: ArchSpec, w: AttentionWeights): Block {
  const weights: Feeds = {};
  norm(weights, w.norm);
  attn(weights, w);
  shortcut(weights, w.shortcut);
  return { sig: { kind: 'attention', norm: normSig(w.norm), attn: attnSig(arch, w), shortcut: !!w.shortcut, cache: true }, weights };
}

export function mlpBlock(arch: ArchSpec, w: MlpWeights): Block {
  const weights: Feeds = {};
  norm(weights, w.norm);
  mlp(weights, w);
  shortcut(weights, w.shortcut);
  return { sig: { kind: 'mlp', norm: normSig(w.norm), mlp: mlpSig(arch, w), shortcut: !!w.shortcut }, weights };
}

export function parallelBlock(arch: ArchSpec, w: ParallelWeights): Block {
  const weights: Feeds = {};
  norm(weights, w.norm);
  attn(weights, w.attn);
  mlp(weights, w.mlp);
  shortcut(weights, w.shortcut);
  const sig: BlockSig = { kind: 'parallel', norm: normSig(w.norm), attn: attnSig(arch, w.attn), mlp: mlpSig(arch, w.mlp), shortcut: !!w.shortcut, cache: true };
  return { sig, weights };
}

export function headBlock(h: HeadWeights): Block {
  const weights: Feeds = {};
  norm(weights, h.norm);
  linear(weights, 'lm', h.lm);
  if (h.vocab) {
    weights['lm.weight'] = matrix(h.lm.weight, false); // the tied head's factor, float32 as above
    weights.vocab = matrix(h.vocab);
  }
  return { sig: { kind: 'head', norm: normSig(h.norm), bias: hasBias(h.lm), logits: true, targets: false, ...(h.vocab ? { vocab: true as const } : {}) }, weights };
}
