// What the WGSL decoder runs: decoder blocks of the LLaMA family (llama, mistral, qwen2 with q/k/v biases),
// OPT's and phi's too (LayerNorm, biases, plain MLPs, learned positions, partial rotary, parallel blocks),
// at batch 1. Anything else is refused with a reason, and the caller decodes with ORT.
import type { ArchSpec } from '../../model/model-source';
import { ATTEND_THREADS } from './attention-shader';

/** Why `arch` cannot decode with WGSL, or null when it can. */
export function wgslDecodeUnsupported(arch: ArchSpec): string | null {
  if (arch.qkNorm) return 'q/k head norms (Qwen3) are not in the WGSL decoder';
  if (arch.headDim > ATTEND_THREADS) return `head dimension ${arch.headDim} is over the WGSL decoder's ${ATTEND_THREADS}`;
  if (arch.numHeads % arch.numKvHeads !== 0) return `${arch.numHeads} heads do not split into ${arch.numKvHeads} KV heads`;
  if (arch.rope && (arch.rope.rotaryDim % 2 !== 0 || arch.rope.rotaryDim > arch.headDim)) return `rotary dimension ${arch.rope.rotaryDim} is not an even part of the head`;
  return null;
}
