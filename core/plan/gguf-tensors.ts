// The tensors of the GGUF file a planned model becomes, each with the type llama.cpp's rules give it
// (gguf-types.ts): the planner sizes a GGUF format by this list, so its weight bytes are the exporter's tensor
// bytes. It follows the exporter's layout, not the sliced folder's: phi3's q/k/v and gate/up fused into attn_qkv
// and ffn_up (one tensor, one type), a dense tied head as token_embd alone (which then takes the output rule), a
// tied embedding stored once in a slice materialised as token_embd and output.weight of width d, Llama-3.x's
// rope_freqs.weight.
import type { ModelShapes, TensorShape } from './params';
import { ggufName, ggufTensorDtype, type GgufFileType } from './gguf-types';
import { tensorBytes, type Dtype } from './formats';

export interface GgufPlannedTensor {
  /** GGUF's name (blk.N.attn_v.weight, token_embd.weight, …). */
  name: string;
  /** Rows × ne0 (a vector: 1 × length). */
  rows: number;
  ne0: number;
  /** What llama.cpp's rules ask for, and what rows of ne0 are stored in (after the row fallback). */
  wanted: Dtype;
  type: Dtype;
  /** Where the memory split puts it. */
  part: 'embedding' | 'layer' | 'head';
  layer: number | null;
  bytes: number;
}

const vectorRole = (s: TensorShape) => s.role === 'vector';

/** The file's tensors in the exporter's order, or null when no GGUF architecture holds this model (gguf-types.ts ggufQuantModel). */
export function ggufTensors(m: ModelShapes, file: GgufFileType): GgufPlannedTensor[] | null {
  const q = m.gguf;
  if (q === null) return null;
  const out: GgufPlannedTensor[] = [];
  const byName = new Map<string, GgufPlannedTensor>();
  const add = (name: string, rows: number, ne0: number, vector: boolean, part: GgufPlannedTensor['part'], layer: number | null) => {
    const had = byName.get(name);
    // A fused tensor's parts (phi3's q, k, v; gate, up) read the same input: one tensor of their rows together.
    if (had) {
      had.rows += rows;
      had.bytes = tensorBytes(had.rows, had.ne0, had.type);
      return;
    }
    const { wanted, type } = vector ? { wanted: 'f32' as Dtype, type: 'f32' as Dtype } : ggufTensorDtype(file, name, ne0, q);
    const t: GgufPlannedTensor = { name, rows, ne0, wanted, type, part, layer, bytes: tensorBytes(rows, ne0, type) };
    byName.set(name, t);
    out.push(t);
  };
  const width = m.d;
  const tokens = m.embedding[0];
  if (q.ropeFreqs > 0) add('rope_freqs.weight', 1, q.ropeFreqs, true, 'embedding', null);
  // A tied embedding stored once in a slice (E and its D×d factor) is written materialised: token_embd is V×d.
  add('token_embd.weight', tokens.rows, width, false, 'embedding', null);
  m.layers.forEach((layer, i) => {
    for (const s of layer) {
      const name = ggufName(s.name, i, q.fused);
      if (name !== null) add(name, s.rows, s.rowLength, vectorRole(s), 'layer', i);
    }
  });
  let output = false;
  for (const s of m.head) {
    const name = ggufName(s.name, null, q.fused);
    if (name === null) continue;
    add(name, s.rows, s.rowLength, vectorRole(s), 'head', null);
    output ||= name === 'output.weight';
  }
  // A head stored in the embedding's table that the file cannot share (a slice's, or a graph that needs output.weight).
  if (!output && !q.tiedOutput) add('output.weight', tokens.rows, width, false, 'head', null);
  return out;
}
