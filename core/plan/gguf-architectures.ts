// The llama.cpp architectures a GGUF export writes (general.architecture), and what each one's graph reads —
// from llama.cpp's own loader (src/models/{llama,qwen2,qwen3,phi3}.cpp and src/llama-model.cpp
// create_tensor_qkv, at the commit node-llama-cpp 3.x bundles, read 2026-12-06):
//
// llama — attn_q/k/v (+ optional .bias each), attn_output (+ .bias), ffn_gate/up/down (+ .bias each); q/k sized
//   {n_embd, head_dim·n_head}; rope type NORM (adjacent pairs), so q/k rows are permuted from Hugging Face's
//   rotate-half order (llama.ts).
// qwen2 — the same tensors with q/k/v biases and no o/MLP biases; rope NEOX (rotate-half: rows as they are);
//   attn_q and attn_output sized {n_embd, n_embd}, so only n_embd = heads × head_dim loads.
// qwen3 — qwen2's layout plus attn_q_norm/attn_k_norm (per-head RMSNorm weights, head_dim); q/k sized by
//   head_dim·n_head (a slice loads); the head norms use the one epsilon key the residual norms use.
// phi3 — q/k/v fused as attn_qkv (rows q, k, v) and gate/up as ffn_up (rows gate, then up: LLM_FFN_SWIGLU
//   splits the first half as the gate); rope NEOX; attn_qkv and attn_output sized from n_embd, so again only
//   n_embd = heads × head_dim loads.
//
// A uniform slice has n_embd = d < heads × head_dim. qwen2 and phi3 cannot express that, but their blocks are
// the llama block (phi3's fused tensors are row ranges of the same linears; qwen2's biases are optional llama
// tensors), so such a slice is written as architecture `llama`, which every llama.cpp-based runtime runs.
// qwen3's head norms have no place in the llama graph: it stays qwen3 (its q/k shapes allow a slice).
//
// This table lives on the plan floor because the planner sizes GGUF files by it too (gguf-types.ts: which
// tensors exist, fused or not, and which llama.cpp model type the quantizer sees); export/gguf/architectures.ts
// turns a refusal into the exporter's error.
import type { FamilyModule } from '../model/families/index';

export type GgufArch = NonNullable<FamilyModule['gguf']>;

export interface GgufArchitecture {
  id: GgufArch;
  /** Rotary pairs are adjacent (rope NORM): q/k rows are permuted from Hugging Face's rotate-half order. */
  interleavedRope: boolean;
  /** q/k/v stored as one attn_qkv, gate and up as one ffn_up. */
  fused: boolean;
  /** attn_q_norm / attn_k_norm are read (and required). */
  headNorms: boolean;
  /** attn_q/attn_output are sized n_embd × n_embd: only n_embd = heads × head_dim loads. */
  squareAttention: boolean;
  /** output.weight may be absent (the graph then reads token_embd as the head: a tied model); phi3 requires it. */
  optionalOutput: boolean;
  /** Which optional biases the graph reads. */
  biases: { qkv: boolean; o: boolean; mlp: boolean };
}

export const GGUF_ARCHITECTURES: Record<GgufArch, GgufArchitecture> = {
  llama: { id: 'llama', interleavedRope: true, fused: false, headNorms: false, squareAttention: false, optionalOutput: true, biases: { qkv: true, o: true, mlp: true } },
  qwen2: { id: 'qwen2', interleavedRope: false, fused: false, headNorms: false, squareAttention: true, optionalOutput: true, biases: { qkv: true, o: false, mlp: false } },
  qwen3: { id: 'qwen3', interleavedRope: false, fused: false, headNorms: true, squareAttention: false, optionalOutput: true, biases: { qkv: true, o: false, mlp: false } },
  phi3: { id: 'phi3', interleavedRope: false, fused: true, headNorms: false, squareAttention: true, optionalOutput: false, biases: { qkv: false, o: false, mlp: false } },
};

export interface ArchChoice {
  arch: GgufArchitecture;
  /** Why the file is not written under the family's own architecture (null when it is). */
  why: string | null;
  /** Why no llama.cpp graph we write can hold the model (one line; null when one can). */
  refusal: string | null;
}

/**
 * The architecture a model is written as: the family's own, unless its graph cannot hold this width or these
 * biases — then llama's, which holds every llama-layout block (never for head norms, which only qwen3 reads).
 */
export function architectureFor(own: GgufArch, m: { width: number; attentionWidth: number; qkvBias: boolean; oBias: boolean; mlpBias: boolean }): ArchChoice {
  const a = GGUF_ARCHITECTURES[own];
  const reasons: string[] = [];
  if (a.squareAttention && m.width !== m.attentionWidth) reasons.push(`llama.cpp's ${own} graph sizes attention as n_embd × n_embd, and this model's residual width ${m.width} is not heads × head_dim = ${m.attentionWidth}`);
  const unread = [m.qkvBias && !a.biases.qkv && 'q/k/v', m.oBias && !a.biases.o && 'o', m.mlpBias && !a.biases.mlp && 'MLP'].filter((x): x is string => typeof x === 'string');
  if (unread.length) reasons.push(`llama.cpp's ${own} graph reads no ${unread.join('/')} biases`);
  if (!reasons.length) return { arch: a, why: null, refusal: null };
  if (a.headNorms) return { arch: a, why: null, refusal: `${reasons.join('; ')}, and its head norms exist only in that graph; export it as ONNX (--format onnx) instead` };
  return { arch: GGUF_ARCHITECTURES.llama, why: `${reasons.join('; ')}: written as architecture llama (the same block; llama.cpp, Ollama and LM Studio run it alike)`, refusal: null };
}
