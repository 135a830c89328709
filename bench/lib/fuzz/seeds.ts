// Valid seed inputs for the fuzz targets: from the shared models and tokenizers (cut down where they are
// large, so one input stays milliseconds) and small hand-made ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED = join(import.meta.dirname, '..', '..', '..', '..', 'shared');
export const MODELS = join(SHARED, 'models');

/** A safetensors file from a header object; data bytes are zeros (`dataBytes` of them). */
export function safetensorsBytes(header: Record<string, unknown>, dataBytes: number): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, Buffer.alloc(dataBytes)]);
}

/** The header of a real model file and the size of its data (written sparse by the targets). */
export function realHeader(model: string): { header: Record<string, unknown>; dataBytes: number } {
  const b = readFileSync(join(MODELS, model, 'model.safetensors'));
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  return { header, dataBytes: b.length - 8 - n };
}

export const SMALL_SHARDS = {
  'model-00001-of-00002.safetensors': {
    header: {
      __metadata__: { format: 'pt' },
      'model.embed_tokens.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
      'model.norm.weight': { dtype: 'F32', shape: [4], data_offsets: [12, 28] },
    },
    dataBytes: 28,
  },
  'model-00002-of-00002.safetensors': {
    header: { 'lm_head.weight': { dtype: 'BF16', shape: [8], data_offsets: [0, 16] } },
    dataBytes: 16,
  },
} as const;

export const SMALL_INDEX = {
  metadata: { total_size: 44 },
  weight_map: {
    'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
    'model.norm.weight': 'model-00001-of-00002.safetensors',
    'lm_head.weight': 'model-00002-of-00002.safetensors',
  },
};

export function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/**
 * A tokenizer.json cut to its first `keep` ids: merges are kept when both parts and their concatenation
 * survive, so the result is a valid (smaller) BPE of the same shape.
 */
export function cutTokenizer(json: Record<string, any>, keep: number): Record<string, any> {
  const vocab: Record<string, number> = {};
  for (const [t, id] of Object.entries(json.model.vocab as Record<string, number>)) if (id < keep) vocab[t] = id;
  const merges = (json.model.merges as Array<string | [string, string]>).filter((m) => {
    const [a, b] = Array.isArray(m) ? m : m.split(' ');
    return a in vocab && b in vocab && a + b in vocab;
  });
  return {
    ...json,
    added_tokens: (json.added_tokens as Array<{ id: number }>).filter((t) => t.id < keep),
    model: { ...json.model, vocab, merges },
  };
}

/** vocab.json + merges.txt cut the same way. */
export function cutVocabMerges(folder: string, keep: number): { vocab: Record<string, number>; merges: string } {
  const full = readJson(join(folder, 'vocab.json')) as Record<string, number>;
  const vocab: Record<string, number> = {};
  for (const [t, id] of Object.entries(full)) if (id < keep) vocab[t] = id;
  const lines = readFileSync(join(folder, 'merges.txt'), 'utf8').split('\n');
  const kept = lines.filter((l, i) => {
    if (i === 0 && l.startsWith('#version')) return true;
    const [a, b] = l.split(' ');
    return a !== undefined && b !== undefined && a in vocab && b in vocab && a + b in vocab;
  });
  return { vocab, merges: kept.join('\n') + '\n' };
}

/** The GPT-4 / Llama-3 style split regex, as a Split pre-tokenizer before a regex-free ByteLevel. */
export const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** `tokenizer` with its pre-tokenizer replaced by a Split on `regex` (isolated) before a regex-free ByteLevel. */
export function withSplitPreTokenizer<T extends object>(tokenizer: T, regex: string) {
  return {
    ...tokenizer,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
  };
}

/** Text the tokenizer targets encode: prose, special-token look-alikes, Unicode, and a run with no space. */
export function probeText(): string {
  const wiki = readFileSync(join(SHARED, 'data', 'wikitext-2-raw', 'wiki.test.raw'), 'utf8').slice(0, 6000);
  return `${wiki}\n\nHello, world! 123 4567 <s> </s> <unk> <|endoftext|> naïve café — 日本語 🙂\n\n  spaces   and\ttabs ${'x'.repeat(9000)} end`;
}

/** tiny-llama sliced at 25 % (d = 192 of 256): a valid slicing_config.json for the sliced-folder seeds and tests. */
export const SLICING = {
  hidden_size: 256,
  layers_num: 4,
  do_slice_head: false,
  parallel_blocks: false,
  embedding_dimensions: { '0': 192 },
  attention_input_dimensions: { '0': 192, '1': 192, '2': 192, '3': 192 },
  attention_output_dimensions: { '0': 192, '1': 192, '2': 192, '3': 192 },
  mlp_input_dimensions: { '0': 192, '1': 192, '2': 192, '3': 192 },
  mlp_output_dimensions: { '0': 192, '1': 192, '2': 192, '3': 256 },
  head_dimension: null,
  const_dimension: 192,
};
