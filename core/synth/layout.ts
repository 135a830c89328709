// The tensors of a synthetic Hugging Face checkpoint — the names, shapes and order `save_pretrained` uses
// for the family (taken from the family's adapter, so the loader reads exactly what is written) — and how
// each one is drawn (spectrum.ts says why), then split into shards the way huggingface_hub does.
import type { ModelConfig } from '../model/config';
import { family, type LinearNames, type NormNames } from '../model/families/index';

/** What a tensor is, for drawing its values. */
export type Role =
  | 'embedding' // columns carry the channel scales
  | 'writer' // rows (output channels of the residual stream) carry them: o / down weights and biases
  | 'reader' // i.i.d. at initializer_range
  | 'norm-weight' // 1 + N(0, 0.02²)
  | 'norm-bias' // N(0, 0.02²)
  | 'bias'; // N(0, initializer_range²)

export interface SynthTensor {
  name: string;
  shape: number[];
  role: Role;
}

export function synthTensors(c: ModelConfig): SynthTensor[] {
  const spec = family(c.family).adapter(c);
  const D = c.hiddenSize;
  const F = c.intermediateSize;
  const qOut = c.numHeads * c.headDim;
  const kvOut = c.numKvHeads * c.headDim;
  const out: SynthTensor[] = [{ name: spec.tokens, shape: [c.vocabSize, D], role: 'embedding' }];
  if (spec.positions) out.push({ name: spec.positions, shape: [c.maxPositions + c.positionOffset, D], role: 'embedding' });
  const linear = (l: LinearNames, i: number, rows: number, cols: number, writer: boolean) => {
    // A fused tensor (Phi-3's qkv_proj) is written once, when its first part comes.
    if (l.fused && l.fused.start !== 0) return;
    const p = l.p.replaceAll('{i}', String(i));
    out.push({ name: `${p}.weight`, shape: [l.fused ? l.fused.total : rows, cols], role: writer ? 'writer' : 'reader' });
    if (l.bias) out.push({ name: `${p}.bias`, shape: [rows], role: writer ? 'writer' : 'bias' });
  };
  const norm = (n: NormNames, i: number, width = D) => {
    const p = n.p.replaceAll('{i}', String(i));
    out.push({ name: `${p}.weight`, shape: [width], role: 'norm-weight' });
    if (c.norm === 'layernorm') out.push({ name: `${p}.bias`, shape: [D], role: 'norm-bias' });
  };
  const s = spec.layer;
  for (let i = 0; i < c.numLayers; i++) {
    linear(s.q, i, qOut, D, false);
    linear(s.k, i, kvOut, D, false);
    linear(s.v, i, kvOut, D, false);
    linear(s.o, i, D, qOut, true);
    if (s.kind === 'sequential' && s.qNorm && s.kNorm) {
      norm(s.qNorm, i, c.headDim);
      norm(s.kNorm, i, c.headDim);
    }
    if (s.kind === 'sequential' && s.gate) linear(s.gate, i, F, D, false);
    linear(s.up, i, F, D, false);
    linear(s.down, i, D, F, true);
    if (s.kind === 'parallel') norm(s.norm, i);
    else {
      norm(s.attnNorm, i);
      norm(s.mlpNorm, i);
    }
  }
  norm(spec.finalNorm, 0);
  if (!c.tieWordEmbeddings) linear(spec.lm, 0, c.vocabSize, D, false);
  return out;
}

export const numel = (t: SynthTensor): number => t.shape.reduce((a, d) => a * d, 1);

export interface Shard {
  file: string;
  tensors: SynthTensor[];
  bytes: number;
}

/**
 * huggingface_hub's split: tensors in model order fill a shard until the next one would pass the limit
 * (a tensor larger than the limit gets a shard of its own); files `model-00001-of-0000N.safetensors`, or
 * one `model.safetensors` (and no index) when everything fits in one.
 */
export function planShards(tensors: SynthTensor[], bytesPerValue: number, maxShardBytes: number): Shard[] {
  const groups: SynthTensor[][] = [];
  let cur: SynthTensor[] = [];
  let size = 0;
  for (const t of tensors) {
    const b = numel(t) * bytesPerValue;
    if (cur.length && size + b > maxShardBytes) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(t);
    size += b;
  }
  if (cur.length) groups.push(cur);
  const n = groups.length;
  const pad = (k: number) => String(k).padStart(5, '0');
  return groups.map((g, k) => ({
    file: n === 1 ? 'model.safetensors' : `model-${pad(k + 1)}-of-${pad(n)}.safetensors`,
    tensors: g,
    bytes: g.reduce((a, t) => a + numel(t) * bytesPerValue, 0),
  }));
}

/** `model.safetensors.index.json` as transformers writes it (sorted keys, indent 2, trailing newline). */
export function shardIndex(shards: Shard[]): string {
  const weightMap: Record<string, string> = {};
  for (const s of shards) for (const t of s.tensors) weightMap[t.name] = s.file;
  const sorted = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]]));
  const total = shards.reduce((a, s) => a + s.bytes, 0);
  return `${JSON.stringify({ metadata: { total_size: total }, weight_map: sorted }, null, 2)}\n`;
}
