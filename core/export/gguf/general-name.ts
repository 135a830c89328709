// general.name as llama.cpp's vocabulary loader reads it. For a name containing "phi-3"/"phi3" the loader sets
// attributes on "</s>", "<unk>", "<s>" and "<|endoftext|>" with unordered_map::at (src/llama-vocab.cpp), so a
// Phi-3 whose tokenizer lacks one of them (a fine-tune with its own vocabulary) would not load at all:
// "error loading model vocabulary: _Map_base::at". Such a name is written with the match spelled "phi_3".
const PHI3_NAME = /phi-?3/i;
const PHI3_TOKENS = ['</s>', '<unk>', '<s>', '<|endoftext|>'];

/** The name to write, and why it differs from `name` (null when it does not). */
export function loadableName(name: string, tokens: readonly string[]): { name: string; why: string | null } {
  if (!PHI3_NAME.test(name)) return { name, why: null };
  const have = new Set(tokens);
  const missing = PHI3_TOKENS.filter((t) => !have.has(t));
  if (!missing.length) return { name, why: null };
  const renamed = name.replace(/phi-?3/gi, 'phi_3');
  return { name: renamed, why: `general.name "${renamed}", not "${name}": llama.cpp's loader fails on a Phi-3 name whose vocabulary lacks ${missing.join(', ')}` };
}
