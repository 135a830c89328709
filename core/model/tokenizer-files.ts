// Reads a tokenizer folder into the two objects @huggingface/tokenizers wants: a tokenizer.json-shaped
// description and a tokenizer_config-shaped one. Hub repos ship one of two layouts:
//   - tokenizer.json (+ tokenizer_config.json, special_tokens_map.json): used as is;
//   - vocab.json + merges.txt only (GPT-2, facebook/opt-*): the byte-level BPE is built here, the way
//     transformers converts a slow GPT2Tokenizer to a fast one.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { asObject, LIMITS, parseJsonText, readInputTextSync } from './input-file';
import { checkTokenizerConfig, checkTokenizerJson, checkVocab, parseMergesText } from './tokenizer-checks';

export class TokenizerNotFoundError extends Error {
  override name = 'TokenizerNotFoundError';
  constructor(folder: string) {
    super(`no tokenizer in ${folder}: expected tokenizer.json, or vocab.json with merges.txt`);
  }
}

export class TokenizerFormatError extends Error {
  override name = 'TokenizerFormatError';
}

/** What the files say about one added (special) token. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** The subset of tokenizer.json this project reads; other fields pass through untouched. */
export interface TokenizerJson {
  added_tokens: AddedTokenJson[];
  normalizer: Record<string, any> | null;
  pre_tokenizer: Record<string, any> | null;
  post_processor: Record<string, any> | null;
  decoder: Record<string, any> | null;
  model: Record<string, any> & { type?: string; vocab?: Record<string, number> | Array<[string, number]> };
  [key: string]: unknown;
}

export interface TokenizerFiles {
  json: TokenizerJson;
  config: Record<string, unknown>;
  /** 'tokenizer.json' or 'vocab.json+merges.txt': how the folder was read. */
  layout: 'tokenizer.json' | 'vocab.json+merges.txt';
}

const fail = (message: string): never => {
  throw new TokenizerFormatError(message);
};

function readJson(path: string, limit: number): unknown {
  return parseJsonText(readInputTextSync(path, limit, TokenizerFormatError), basename(path), TokenizerFormatError);
}

function readOptionalJson(path: string, limit = LIMITS.tokenizerConfig): Record<string, unknown> {
  return existsSync(path) ? asObject(readJson(path, limit), basename(path), TokenizerFormatError) : {};
}

/** A special token as the config files write it: a string or an AddedToken-like object. */
export function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return null;
}

export function readTokenizerFiles(folder: string): TokenizerFiles {
  if (!existsSync(folder)) throw new TokenizerNotFoundError(folder);
  // special_tokens_map.json fills in what an older tokenizer_config.json leaves out.
  const config = {
    ...readOptionalJson(join(folder, 'special_tokens_map.json')),
    ...readOptionalJson(join(folder, 'tokenizer_config.json')),
  };
  checkTokenizerConfig(config, 'tokenizer_config.json', fail);
  const tokenizerJson = join(folder, 'tokenizer.json');
  if (existsSync(tokenizerJson)) {
    const json = readJson(tokenizerJson, LIMITS.tokenizerJson);
    checkTokenizerJson(json, 'tokenizer.json', fail);
    return { json: json as TokenizerJson, config, layout: 'tokenizer.json' };
  }
  const vocabPath = join(folder, 'vocab.json');
  const mergesPath = join(folder, 'merges.txt');
  if (existsSync(vocabPath) && existsSync(mergesPath)) {
    let modelConfig: Record<string, unknown> = {};
    try {
      modelConfig = readOptionalJson(join(folder, 'config.json'), LIMITS.config);
    } catch {
      // A broken config.json is the model loader's error to report; here it only hints at the family.
    }
    const vocab = checkVocab(readJson(vocabPath, LIMITS.vocabJson), 'vocab.json', fail);
    const merges = parseMergesText(readInputTextSync(mergesPath, LIMITS.merges, TokenizerFormatError), 'merges.txt', fail);
    return { json: byteLevelBpe(vocab, merges, config, modelConfig), config, layout: 'vocab.json+merges.txt' };
  }
  throw new TokenizerNotFoundError(folder);
}

/**
 * GPT-2-style byte-level BPE from vocab.json + merges.txt. GPT-2 adds no special tokens; OPT's tokenizer
 * (GPT2Tokenizer with add_bos_token) prepends its bos_token "</s>". A folder is OPT-style when its
 * tokenizer_config says add_bos_token, when a config.json next to it says model_type "opt", or — with
 * no config at all, as the OPT vocab ships — when the vocab has fairseq's id order (<s>=0 … </s>=2).
 */
function byteLevelBpe(vocab: Record<string, number>, merges: string[], config: Record<string, unknown>, modelConfig: Record<string, unknown>): TokenizerJson {
  const fairseqOrder = vocab['<s>'] === 0 && vocab['</s>'] === 2;
  const addBos = typeof config.add_bos_token === 'boolean' ? config.add_bos_token : modelConfig.model_type === 'opt' || fairseqOrder;
  const bosToken = tokenContent(config.bos_token) ?? (fairseqOrder ? '</s>' : '<|endoftext|>');
  if (addBos && vocab[bosToken] === undefined) {
    throw new TokenizerFormatError(`bos token ${JSON.stringify(bosToken)} is not in vocab.json`);
  }
  // transformers' converted GPT-2/OPT tokenizers do not split these out of raw text (the reference ids
  // encode "<s>" as ordinary characters), so they are not added tokens here: only the ids are known.
  return {
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: addBos
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bosToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: bosToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { [bosToken]: { id: bosToken, ids: [vocab[bosToken]], tokens: [bosToken] } },
        }
      : null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
