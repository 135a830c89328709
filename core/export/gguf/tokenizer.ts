// Tokenizer metadata for llama.cpp from a Hugging Face tokenizer.json.
//
// 'llama' (SentencePiece-style: Metaspace ▁, byte fallback): tokens, scores, token types. llama.cpp's SPM
// tokenizer merges the adjacent pair whose concatenation is the vocabulary token of highest score, which is
// BPE exactly when score(token) = −(rank of the merge that creates it): the pair with the lowest merge rank
// wins, as in Hugging Face's BPE. (gguf-py's LlamaHfVocab writes −1000 for every token, which makes llama.cpp
// merge left to right instead.) Byte-fallback pieces <0xNN> are BYTE, special added tokens CONTROL (<unk>:
// UNKNOWN), other added tokens USER_DEFINED.
// 'gpt2' (byte-level BPE): tokens in their byte-level spelling, merges "a b" in rank order.
// Either way the token list is padded to the embedding's row count with UNUSED "[PAD<id>]" tokens.
import { readTokenizerFiles, tokenContent, type TokenizerJson } from '../../model/tokenizer-files';
import { loadTokenizer } from '../../model/tokenizer';
import { TokenType, ValueType } from './constants';
import { GgufUnsupportedError } from './errors';
import type { GgufWriter } from './writer';

export interface TokenizerMetadata {
  model: 'llama' | 'gpt2';
  tokens: string[];
  types: Int32Array;
  scores?: Float32Array;
  merges?: string[];
  pre?: string;
  bos: number | null;
  eos: number | null;
  unk: number | null;
  pad: number | null;
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix?: boolean;
}

const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// Qwen2/2.5/3's pre-tokenizer: Llama-3's with single digits (llama.cpp's pre "qwen2").
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function has(node: unknown, type: string): boolean {
  if (!node || typeof node !== 'object') return false;
  const o = node as Record<string, unknown>;
  if (o.type === type) return true;
  return Object.values(o).some((v) => (Array.isArray(v) ? v.some((x) => has(x, type)) : has(v, type)));
}

function mergeStrings(json: TokenizerJson): string[] {
  const merges = (json.model.merges ?? []) as Array<string | [string, string]>;
  return merges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m));
}

function pieceOfMerge(m: string): string {
  const i = m.indexOf(' ', 1); // a merge "a b": pieces never start with a space in these vocabularies
  return m.slice(0, i) + m.slice(i + 1);
}

/** Tokenizer metadata for `folder`, with `vocabRows` tokens (the embedding's row count). */
export async function tokenizerMetadata(folder: string, vocabRows: number, modelConfig: { bosTokenId: number | null; eosTokenId: number | null; padTokenId: number | null }): Promise<TokenizerMetadata> {
  const { json, config } = readTokenizerFiles(folder);
  if (json.model.type !== 'BPE') throw new GgufUnsupportedError(`GGUF export supports BPE tokenizers (SentencePiece-style or byte-level); this one is ${json.model.type ?? 'unknown'}`);
  const vocab = json.model.vocab as Record<string, number>;
  // A loop, not Math.max(...ids): spreading a 128k-entry vocabulary (Llama-3, Qwen) overflows the call stack.
  let size = vocabRows;
  for (const id of Object.values(vocab)) size = Math.max(size, id + 1);
  for (const t of json.added_tokens) size = Math.max(size, t.id + 1);
  if (size > vocabRows) throw new GgufUnsupportedError(`the tokenizer has ${size} tokens but the embedding only ${vocabRows} rows`);
  const tokens: string[] = new Array(vocabRows);
  for (const [piece, id] of Object.entries(vocab)) tokens[id] = piece;
  for (const t of json.added_tokens) tokens[t.id] = t.content;
  const types = new Int32Array(vocabRows).fill(TokenType.NORMAL);
  for (let id = 0; id < vocabRows; id++)
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`;
      types[id] = TokenType.UNUSED;
    }

  const byteLevel = has(json.pre_tokenizer, 'ByteLevel') || has(json.decoder, 'ByteLevel');
  const spm = json.model.byte_fallback === true || has(json.pre_tokenizer, 'Metaspace') || has(json.normalizer, 'Prepend') || has(json.decoder, 'Metaspace');
  if (!byteLevel && !spm) throw new GgufUnsupportedError('GGUF export needs a SentencePiece-style (Metaspace/byte-fallback) or byte-level BPE tokenizer');

  const idOf = (key: string, fallback: number | null): number | null => {
    const content = tokenContent(config[key]);
    if (content !== null) {
      const id = vocab[content] ?? json.added_tokens.find((t) => t.content === content)?.id;
      if (id !== undefined) return id;
    }
    return fallback;
  };
  const bos = idOf('bos_token', modelConfig.bosTokenId);
  const eos = idOf('eos_token', modelConfig.eosTokenId);
  const unk = idOf('unk_token', json.model.unk_token ? (vocab[json.model.unk_token as string] ?? null) : null);
  const pad = idOf('pad_token', modelConfig.padTokenId);
  // What our tokenizer (transformers' defaults) adds around a text is what llama.cpp should add.
  const tok = await loadTokenizer(folder);
  const plain = tok.encode('a', { addSpecialTokens: false });
  const withSpecials = tok.encode('a');
  const addBos = bos !== null && withSpecials.length > plain.length && withSpecials[0] === bos;
  const addEos = eos !== null && withSpecials.length > plain.length && withSpecials[withSpecials.length - 1] === eos;

  for (const t of json.added_tokens) types[t.id] = t.special ? TokenType.CONTROL : TokenType.USER_DEFINED;
  if (unk !== null) types[unk] = TokenType.UNKNOWN;
  const merges = mergeStrings(json);
  if (spm && !byteLevel) {
    for (let id = 0; id < vocabRows; id++) if (BYTE_PIECE.test(tokens[id])) types[id] = TokenType.BYTE;
    const scores = new Float32Array(vocabRows);
    const rank = new Map<string, number>();
    merges.forEach((m, r) => {
      const piece = pieceOfMerge(m);
      if (!rank.has(piece)) rank.set(piece, r);
    });
    for (let id = 0; id < vocabRows; id++) {
      const r = types[id] === TokenType.NORMAL ? rank.get(tokens[id]) : undefined;
      // Pieces no merge creates (single characters, specials) are never the result of a pair: any score works.
      scores[id] = r === undefined ? 0 : -(r + 1);
    }
    return { model: 'llama', tokens, types, scores, bos, eos, unk, pad, addBos, addEos, addSpacePrefix: true };
  }
  const split = JSON.stringify(json.pre_tokenizer ?? {});
  const splits = (regex: string) => split.includes(JSON.stringify(regex).slice(1, -1));
  // llama.cpp's "llama-bpe" is Llama-3's regex with ignore_merges (a whole pre-token that is a vocabulary token is
  // taken as is: 588 of Llama 3's tokens no merge sequence reaches), "smaug-bpe" the same regex without it: follow
  // the tokenizer.json's own flag, as Hugging Face does. (convert_hf_to_gguf.py's chkhsh hashes ids that include
  // the BOS, so it names a BOS-less Llama-3 tokenizer smaug-bpe whatever its ignore_merges.)
  const llama3 = json.model.ignore_merges === true ? 'llama-bpe' : 'smaug-bpe';
  const pre = splits(LLAMA3_SPLIT) ? llama3 : splits(QWEN2_SPLIT) ? 'qwen2' : 'gpt-2';
  return { model: 'gpt2', tokens, types, merges, pre, bos, eos, unk, pad, addBos, addEos };
}

/** Write the tokenizer.ggml.* keys. */
export function writeTokenizer(w: GgufWriter, t: TokenizerMetadata): void {
  w.string('tokenizer.ggml.model', t.model);
  if (t.pre) w.string('tokenizer.ggml.pre', t.pre);
  w.array('tokenizer.ggml.tokens', ValueType.STRING, t.tokens);
  if (t.scores) w.array('tokenizer.ggml.scores', ValueType.FLOAT32, t.scores);
  w.array('tokenizer.ggml.token_type', ValueType.INT32, t.types);
  if (t.merges) w.array('tokenizer.ggml.merges', ValueType.STRING, t.merges);
  if (t.bos !== null) w.uint32('tokenizer.ggml.bos_token_id', t.bos);
  if (t.eos !== null) w.uint32('tokenizer.ggml.eos_token_id', t.eos);
  if (t.unk !== null) w.uint32('tokenizer.ggml.unknown_token_id', t.unk);
  if (t.pad !== null) w.uint32('tokenizer.ggml.padding_token_id', t.pad);
  w.bool('tokenizer.ggml.add_bos_token', t.addBos);
  w.bool('tokenizer.ggml.add_eos_token', t.addEos);
  if (t.addSpacePrefix !== undefined) w.bool('tokenizer.ggml.add_space_prefix', t.addSpacePrefix);
}
