// The pipeline transformers 5 actually runs for a tokenizer folder it wrote.
//
// transformers 5 separates a tokenizer's architecture from its trained vocabulary: a class such as
// `LlamaTokenizer` builds its own normalizer / pre-tokenizer / decoder and takes only the vocabulary,
// merges and added tokens from tokenizer.json. A folder saved by transformers 5 says so in
// tokenizer_config.json (`"backend": "tokenizers"`). For LlamaTokenizer the class pipeline is
//   normalizer: none; pre-tokenizer: Metaspace("▁", prepend_scheme, split: false)
// while a tokenizer.json converted from SentencePiece (tiny-stories) spells the legacy pipeline
//   normalizer: Prepend("▁") + Replace(" " → "▁"); pre-tokenizer: none.
// They differ where the text already starts with a space: Metaspace prepends "▁" only when the text
// does not start with one, Prepend always does. WikiText-2's test text starts with " \n", so
// tokenizer.json alone gives one token more at the start, every 256-token window shifts by one, and
// tiny-stories' perplexity read 115.904 instead of transformers' 115.9546 (reference.json); calibration
// windows, which mostly start with a space, differed the same way. Measured with the `tokenizers` 0.23.2
// Rust library: tokenizer.json as written → 818,004 ids, equal to ours; the class pipeline → 818,003 ids,
// equal to ours after this rewrite.
//
// Folders written by transformers 4 (no `backend` key, e.g. ../shared/data/tokenizers/llama-2) were read
// through tokenizer.json as is (LlamaTokenizerFast), so they are left alone.
import type { TokenizerJson } from './tokenizer-files';

const LLAMA_CLASSES = new Set(['LlamaTokenizer', 'LlamaTokenizerFast']);

/** transformers' `_get_prepend_scheme`: add_prefix_space defaults to true, legacy to false in transformers 5. */
function prependScheme(config: Record<string, unknown>): 'always' | 'first' | 'never' {
  if (config.add_prefix_space === false) return 'never';
  return config.legacy === true ? 'always' : 'first';
}

/** tokenizer.json as transformers 5 runs it for the folder's tokenizer class (unchanged when no class rebuilds it). */
export function asTransformersLoadsIt(json: TokenizerJson, config: Record<string, unknown>): TokenizerJson {
  const cls = config.tokenizer_class;
  if (config.backend !== 'tokenizers' || typeof cls !== 'string' || !LLAMA_CLASSES.has(cls)) return json;
  if (json.model?.type !== 'BPE') return json;
  return {
    ...json,
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme(config), split: false },
  };
}
