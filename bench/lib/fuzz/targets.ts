// The parsers under fuzz, each as: seeds (prepared once per worker process), `make` (write one mutated input
// into a fresh work folder) and `run` (call the parser as the app does; return a finding when the call
// succeeded but did something it must not, e.g. read a file outside the model folder).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { listModelTensors, SafetensorsModel } from '../../../core/model/safetensors';
import { inspectModel } from '../../../core/model/inspect';
import { openAnyModel } from '../../../core/slicegpt/open';
import { summarizeModel } from '../../../core/jobs/kinds/common';
import { readPlanConfig, plan, estimate, formatPlan } from '../../../core/plan/index';
import { loadTokenizer, type Tokenizer } from '../../../core/model/tokenizer';
import { openDataset } from '../../../core/data/open';
import { calibrationWindows } from '../../../core/data/calibration';
import { hubCachePath, hubDataset } from '../../../core/data/hub';
import { Store } from '../../../core/store/store';
import { GiB } from '../../../core/plan/index';
import { int, pick, mutateBytes, mutateJsonFile, mutateTextFile, hostileValue, brief, type Rng } from './mutate';
import { MODELS, SHARED, SMALL_INDEX, SMALL_SHARDS, safetensorsBytes, realHeader, readJson, cutTokenizer, cutVocabMerges, LLAMA3_SPLIT, withSplitPreTokenizer, probeText, SLICING } from './seeds';

export interface Made {
  what: string[];
  /** Bytes of input written (what an allocation may be proportional to). */
  bytes: number;
}

export interface FuzzTarget {
  name: string;
  make(dir: string, rng: Rng): Made;
  run(dir: string): Promise<string | void>;
}

/** A marker planted outside the model folder: it must never show up in a result or a message. */
export const SECRET = 'SECRET-OUTSIDE-THE-MODEL-FOLDER';

function write(file: string, bytes: Buffer | string): number {
  writeFileSync(file, bytes);
  return typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
}

/** The work folder: `model/` (the input) and, beside it, a secret safetensors file a traversal would reach. */
function layout(dir: string): string {
  const model = join(dir, 'model');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(dir, 'secret.safetensors'), safetensorsBytes({ [SECRET]: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, 4));
  return model;
}

/** Replace a file with something that is not a regular file (issue #17, item 6). */
function special(file: string, rng: Rng): string {
  rmSync(file, { force: true, recursive: true });
  const kind = int(rng, 4);
  if (kind === 0) {
    spawnSync('mkfifo', [file]);
    return 'FIFO';
  }
  if (kind === 1) {
    mkdirSync(file);
    return 'a folder';
  }
  if (kind === 2) {
    symlinkSync('/dev/zero', file);
    return 'a link to /dev/zero';
  }
  symlinkSync(join(file, '..', 'does-not-exist'), file);
  return 'a dangling link';
}

const inside = (folder: string, file: string): boolean => {
  const r = relative(folder, file);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

/** The tensors a parser returned all live in the model folder. */
function confined(model: string, files: string[]): string | void {
  const out = files.find((f) => !inside(model, f));
  if (out) return `escape: read ${out}, outside the model folder`;
}

// ── 1. sharded index ────────────────────────────────────────────────────────────────────────────────────
const INDEX_HINTS = ['weight_map', 'metadata', 'total_size', 'model-00001-of-00002.safetensors', 'model.embed_tokens.weight', 'lm_head.weight'];

function writeShards(model: string, rng: Rng, what: string[]): number {
  let bytes = 0;
  for (const [name, s] of Object.entries(SMALL_SHARDS)) bytes += write(join(model, name), safetensorsBytes(s.header, s.dataBytes));
  if (rng() < 0.15) {
    const name = pick(rng, Object.keys(SMALL_SHARDS));
    const file = join(model, name);
    if (rng() < 0.3) what.push(`${name} := ${special(file, rng)}`);
    else {
      const m = mutateBytes(readFileSync(file), rng);
      bytes += write(file, m.bytes);
      what.push(`${name}: ${m.what}`);
    }
  }
  return bytes;
}

/** A sharded model folder: the small shards (one possibly mangled) and their index, mutated or as is. */
function shardedModel(dir: string, rng: Rng, mutateIndex: boolean): Made & { model: string } {
  const model = layout(dir);
  const what: string[] = [];
  let bytes = writeShards(model, rng, what);
  const index = join(model, 'model.safetensors.index.json');
  if (!mutateIndex) return { model, what, bytes: bytes + write(index, JSON.stringify(SMALL_INDEX)) };
  const m = mutateJsonFile(Buffer.from(JSON.stringify(SMALL_INDEX)), rng, INDEX_HINTS);
  bytes += write(index, m.bytes);
  what.push(...m.what.map((w) => `index: ${w}`));
  if (rng() < 0.03) what.push(`index := ${special(index, rng)}`);
  return { model, what, bytes };
}

const indexTarget: FuzzTarget = {
  name: 'index',
  make: (dir, rng) => shardedModel(dir, rng, true),
  async run(dir) {
    const model = join(dir, 'model');
    const tensors = await listModelTensors(model);
    return confined(
      model,
      tensors.map((t) => t.file),
    );
  },
};

// ── 2. safetensors headers (through inspect, as the app reads them) ─────────────────────────────────────
const HEADER_HINTS = ['dtype', 'shape', 'data_offsets', '__metadata__', 'format'];
let storiesHeader: ReturnType<typeof realHeader> | null = null;

const safetensorsTarget: FuzzTarget = {
  name: 'safetensors',
  make(dir, rng) {
    const model = layout(dir);
    const what: string[] = [];
    const real = rng() < 0.5;
    storiesHeader ??= realHeader('tiny-stories');
    const seed = real ? storiesHeader : SMALL_SHARDS['model-00001-of-00002.safetensors'];
    let bytes = write(join(model, 'config.json'), readFileSync(join(MODELS, real ? 'tiny-stories' : 'tiny-llama', 'config.json')));
    const file = join(model, 'model.safetensors');
    const headerText = Buffer.from(JSON.stringify(seed.header));
    const op = rng();
    let head: Buffer;
    if (op < 0.55) {
      const m = mutateJsonFile(headerText, rng, HEADER_HINTS);
      what.push(...m.what);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(m.bytes.length));
      head = Buffer.concat([len, m.bytes]);
    } else if (op < 0.85) {
      const m = mutateBytes(safetensorsBytes(seed.header as Record<string, unknown>, 0), rng);
      what.push(`bytes: ${m.what}`);
      head = m.bytes;
    } else {
      const len = Buffer.alloc(8);
      const v = pick(rng, [0n, 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(headerText.length + 1), BigInt(headerText.length - 1), 100n * 1024n * 1024n + 1n]);
      len.writeBigUInt64LE(v);
      head = Buffer.concat([len, headerText]);
      what.push(`header length := ${v}`);
    }
    bytes += write(file, head);
    // The data, sparse: a real model's 1 MB of weights costs no disk.
    if (rng() < 0.9) truncateSync(file, head.length + seed.dataBytes - (rng() < 0.1 ? 1 + int(rng, 16) : 0));
    if (rng() < 0.04) what.push(`model.safetensors := ${special(file, rng)}`);
    return { what, bytes };
  },
  async run(dir) {
    const model = join(dir, 'model');
    await inspectModel(model, { allowUnsupported: true });
    const st = await SafetensorsModel.create(model);
    for (const name of st.names.slice(0, 3)) {
      const t = st.info(name);
      if (t.byteLength <= 16 << 20 && ['F16', 'F32', 'BF16', 'F64'].includes(t.dtype)) await st.read(name);
    }
    return confined(
      model,
      st.names.map((n) => st.info(n).file),
    );
  },
};

// ── 3. sliced folders ───────────────────────────────────────────────────────────────────────────────────
const SLICING_HINTS = Object.keys(SLICING);

const slicedTarget: FuzzTarget = {
  name: 'sliced',
  make(dir, rng) {
    const sharded = shardedModel(dir, rng, false);
    const { model, what } = sharded;
    let bytes = sharded.bytes;
    let config: Buffer = readFileSync(join(MODELS, 'tiny-llama', 'config.json'));
    let slicing: Buffer = Buffer.from(JSON.stringify(SLICING));
    const r = rng();
    if (r < 0.65) {
      const m = mutateJsonFile(slicing, rng, SLICING_HINTS);
      slicing = m.bytes;
      what.push(...m.what.map((w) => `slicing_config: ${w}`));
    } else if (r < 0.8) {
      const m = mutateJsonFile(config, rng, ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'vocab_size']);
      config = m.bytes;
      what.push(...m.what.map((w) => `config: ${w}`));
    } else if (r < 0.9) {
      const m = mutateJsonFile(Buffer.from(JSON.stringify(SMALL_INDEX)), rng, INDEX_HINTS);
      bytes += write(join(model, 'model.safetensors.index.json'), m.bytes);
      what.push(...m.what.map((w) => `index: ${w}`));
    } else {
      slicing = Buffer.from(pick(rng, ['null', '[]', '"x"', '{}', '', '{"hidden_size":256}']));
      what.push(`slicing_config := ${slicing.toString()}`);
    }
    bytes += write(join(model, 'config.json'), config);
    bytes += write(join(model, 'slicing_config.json'), slicing);
    if (rng() < 0.03) what.push(`slicing_config.json := ${special(join(model, 'slicing_config.json'), rng)}`);
    return { what, bytes };
  },
  async run(dir) {
    const model = join(dir, 'model');
    await openAnyModel(model);
    await summarizeModel(model);
  },
};

// ── 4. config.json → inspect, store, plan ───────────────────────────────────────────────────────────────
const CONFIG_HINTS = [
  'num_hidden_layers',
  'num_attention_heads',
  'hidden_size',
  'num_key_value_heads',
  'vocab_size',
  'intermediate_size',
  'head_dim',
  'max_position_embeddings',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'torch_dtype',
  'dtype',
  'model_type',
  'architectures',
  'tie_word_embeddings',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'partial_rotary_factor',
  'ffn_dim',
  'rms_norm_eps',
  'hidden_act',
  'n_embd',
  'n_layer',
  'n_head',
  'word_embed_proj_dim',
  'do_layer_norm_before',
];
let configSeeds: Buffer[] | null = null;
let store: Store | null = null;

const configTarget: FuzzTarget = {
  name: 'config',
  make(dir, rng) {
    configSeeds ??= [
      ...['tiny-llama', 'tiny-opt', 'tiny-phi', 'tiny-stories'].map((m) => readFileSync(join(MODELS, m, 'config.json'))),
      ...['llama-2-7b-hf', 'llama-2-70b-hf', 'meta-llama-3-8b', 'mistral-7b-v0.1', 'opt-125m', 'opt-66b', 'phi-2', 'qwen2-7b'].map((c) => readFileSync(join(SHARED, 'data', 'configs', `${c}.json`))),
    ];
    mkdirSync(dir, { recursive: true });
    const m = mutateJsonFile(pick(rng, configSeeds), rng, CONFIG_HINTS);
    const file = join(dir, 'config.json');
    const bytes = write(file, m.bytes);
    if (rng() < 0.02) m.what.push(`config.json := ${special(file, rng)}`);
    return { what: m.what, bytes };
  },
  async run(dir) {
    const file = join(dir, 'config.json');
    const inspection = await inspectModel(file);
    store ??= Store.open(':memory:');
    store.recordInspection(inspection);
    const config = await readPlanConfig(file);
    const hw = { gpus: [{ name: 'GPU 0 (24 GB)', freeBytes: 24 * GiB, totalBytes: 24 * GiB }], ramFreeBytes: 32 * GiB };
    formatPlan(plan(config, hw));
    estimate(config, hw, 0.25, { ctx: 4096 });
    plan(config, { gpus: [], ramFreeBytes: 8 * GiB }, { format: 'q4' });
  },
};

// ── 5. tokenizer.json ───────────────────────────────────────────────────────────────────────────────────
const TOKENIZER_HINTS = [
  'content',
  'id',
  'added_tokens',
  'normalizer',
  'pre_tokenizer',
  'pattern',
  'Regex',
  'String',
  'vocab',
  'merges',
  'type',
  'byte_fallback',
  'unk_token',
  'decoder',
  'post_processor',
  'special',
  'normalized',
  'lstrip',
  'rstrip',
  'normalizers',
  'pretokenizers',
  'prepend_scheme',
  'replacement',
  'add_prefix_space',
  'use_regex',
  'single',
  'special_tokens',
  'ids',
  'max_input_chars_per_word',
  'continuing_subword_prefix',
];
let tokenizerSeeds: Array<{ json: Buffer; config: Buffer }> | null = null;
let probe: string | null = null;

function tokenizerJsonSeeds(): Array<{ json: Buffer; config: Buffer }> {
  const stories = { json: readFileSync(join(MODELS, 'tiny-stories', 'tokenizer.json')), config: readFileSync(join(MODELS, 'tiny-stories', 'tokenizer_config.json')) };
  const optJson = readJson(join(MODELS, 'tiny-opt', 'tokenizer.json'));
  const optConfig = readFileSync(join(MODELS, 'tiny-opt', 'tokenizer_config.json'));
  const small = cutTokenizer(optJson, 600);
  const llama3 = withSplitPreTokenizer(small, LLAMA3_SPLIT);
  const llamaJson = cutTokenizer(readJson(join(MODELS, 'tiny-llama', 'tokenizer.json')), 700);
  const llamaConfig = readFileSync(join(MODELS, 'tiny-llama', 'tokenizer_config.json'));
  return [stories, { json: Buffer.from(JSON.stringify(small)), config: optConfig }, { json: Buffer.from(JSON.stringify(llama3)), config: optConfig }, { json: Buffer.from(JSON.stringify(llamaJson)), config: llamaConfig }];
}

async function exercise(dir: string): Promise<void> {
  const tok: Tokenizer = await loadTokenizer(dir);
  probe ??= probeText();
  const ids = tok.encode(probe);
  tok.encode(probe.repeat(4), { maxTokens: 64 });
  tok.encode(probe.slice(0, 200), { addSpecialTokens: false });
  if (ids.length) tok.decode(ids.slice(0, 4000));
  tok.decode([0, tok.vocabSize - 1], { skipSpecialTokens: true });
}

const tokenizerJsonTarget: FuzzTarget = {
  name: 'tokenizer-json',
  make(dir, rng) {
    tokenizerSeeds ??= tokenizerJsonSeeds();
    mkdirSync(dir, { recursive: true });
    const seed = pick(rng, tokenizerSeeds);
    const what: string[] = [];
    let json = seed.json;
    let config = seed.config;
    if (rng() < 0.85) {
      const m = mutateJsonFile(json, rng, TOKENIZER_HINTS);
      json = m.bytes;
      what.push(...m.what);
    } else {
      const m = mutateJsonFile(config, rng, ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'additional_special_tokens', 'add_bos_token', 'clean_up_tokenization_spaces']);
      config = m.bytes;
      what.push(...m.what.map((w) => `tokenizer_config: ${w}`));
    }
    const bytes = write(join(dir, 'tokenizer.json'), json) + write(join(dir, 'tokenizer_config.json'), config);
    if (rng() < 0.02) what.push(`tokenizer.json := ${special(join(dir, 'tokenizer.json'), rng)}`);
    return { what, bytes };
  },
  run: exercise,
};

// ── 6. vocab.json + merges.txt ──────────────────────────────────────────────────────────────────────────
let vmSeeds: Array<{ vocab: Buffer; merges: Buffer; opt: boolean }> | null = null;

const vocabMergesTarget: FuzzTarget = {
  name: 'vocab-merges',
  make(dir, rng) {
    vmSeeds ??= ['gpt2', 'opt'].map((t) => {
      const { vocab, merges } = cutVocabMerges(join(SHARED, 'data', 'tokenizers', t), 1200);
      return { vocab: Buffer.from(JSON.stringify(vocab)), merges: Buffer.from(merges), opt: t === 'opt' };
    });
    mkdirSync(dir, { recursive: true });
    const seed = pick(rng, vmSeeds);
    const what: string[] = [];
    let { vocab, merges } = seed;
    const r = rng();
    if (r < 0.55) {
      const m = mutateJsonFile(vocab, rng, ['</s>', '<s>', '<|endoftext|>', '<pad>']);
      vocab = m.bytes;
      what.push(...m.what.map((w) => `vocab: ${w}`));
    } else if (r < 0.9) {
      const m = mutateTextFile(merges, rng);
      merges = m.bytes;
      what.push(...m.what.map((w) => `merges: ${w}`));
    } else {
      const cfg = { model_type: 'opt', bos_token_id: 2, eos_token_id: 2, [pick(rng, ['bos_token_id', 'eos_token_id', 'pad_token_id'])]: hostileValue(rng) };
      write(join(dir, 'config.json'), JSON.stringify(cfg));
      write(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: rng() < 0.5, bos_token: pick(rng, ['</s>', '<s>', 7, null, { content: '</s>' }, { content: 5 }]) }));
      what.push(`config: ${brief(cfg)}`);
    }
    if (seed.opt && !existsSync(join(dir, 'config.json'))) write(join(dir, 'config.json'), JSON.stringify({ model_type: 'opt' }));
    const bytes = write(join(dir, 'vocab.json'), vocab) + write(join(dir, 'merges.txt'), merges);
    if (rng() < 0.02) what.push(`merges.txt := ${special(join(dir, 'merges.txt'), rng)}`);
    return { what, bytes };
  },
  run: exercise,
};

// ── 7. datasets (local files → calibration windows) ─────────────────────────────────────────────────────
let datasetTokenizers: Tokenizer[] | null = null;
let datasetSeeds: Array<{ ext: string; bytes: Buffer }> | null = null;

export async function prepareDatasets(): Promise<void> {
  datasetTokenizers ??= [await loadTokenizer(join(MODELS, 'tiny-stories')), await loadTokenizer(join(MODELS, 'tiny-llama')), await loadTokenizer(join(MODELS, 'tiny-opt'))];
}

const datasetTarget: FuzzTarget = {
  name: 'dataset',
  make(dir, rng) {
    datasetSeeds ??= (() => {
      const wiki = readFileSync(join(SHARED, 'data', 'wikitext-2-raw', 'wiki.test.raw'), 'utf8').slice(0, 8000);
      const paragraphs = wiki.split('\n').filter((l) => l.trim());
      const alpaca = [
        { instruction: 'Name a colour.', input: '', output: 'Blue.' },
        { instruction: 'Add 2 and 3.', input: '2, 3', output: '5' },
      ];
      return [
        { ext: '.txt', bytes: Buffer.from(wiki) },
        { ext: '.jsonl', bytes: Buffer.from(paragraphs.map((p) => JSON.stringify({ text: p })).join('\n')) },
        { ext: '.jsonl', bytes: Buffer.from(alpaca.map((a) => JSON.stringify(a)).join('\n')) },
        { ext: '.json', bytes: Buffer.from(JSON.stringify(paragraphs.slice(0, 20))) },
        { ext: '.json', bytes: Buffer.from(JSON.stringify(alpaca)) },
      ];
    })();
    mkdirSync(dir, { recursive: true });
    const seed = pick(rng, datasetSeeds);
    const what: string[] = [];
    let bytes: Buffer;
    const r = rng();
    if (r < 0.05) {
      // One long line without whitespace (issue #17, item 5), up to 3 MB.
      const n = 1 + int(rng, rng() < 0.2 ? 3_000_000 : 300_000);
      bytes = Buffer.concat([seed.bytes, Buffer.from(pick(rng, ['x', 'ab', '日本', '🙂', '\u0000']).repeat(n))]);
      what.push(`append a ${n}-unit run without whitespace`);
    } else if (seed.ext === '.txt' || rng() < 0.3) {
      const m = mutateTextFile(seed.bytes, rng);
      bytes = m.bytes;
      what.push(...m.what);
    } else {
      const m = mutateJsonFile(seed.ext === '.jsonl' ? Buffer.from(`[${seed.bytes.toString().split('\n').join(',')}]`) : seed.bytes, rng, ['text', 'instruction', 'input', 'output']);
      bytes = seed.ext === '.jsonl' ? jsonlOf(m.bytes) : m.bytes;
      what.push(...m.what);
    }
    const file = join(dir, `data${seed.ext}`);
    const n = write(file, bytes);
    const opts = { sampling: rng() < 0.5 ? 'first' : 'random', tokenizer: int(rng, 3), txtMode: rng() < 0.3 ? 'lines' : 'paragraphs' };
    write(join(dir, 'opts.json'), JSON.stringify(opts));
    what.push(`${seed.ext}, ${brief(opts)}`);
    if (rng() < 0.02) what.push(`dataset := ${special(file, rng)}`);
    return { what, bytes: n };
  },
  async run(dir) {
    await prepareDatasets();
    const opts = JSON.parse(readFileSync(join(dir, 'opts.json'), 'utf8')) as { sampling: 'first' | 'random'; tokenizer: number; txtMode: 'lines' | 'paragraphs' };
    const file = ['data.txt', 'data.jsonl', 'data.json'].map((f) => join(dir, f)).find((f) => existsSync(f)) ?? join(dir, 'data.txt');
    const ds = await openDataset(file, { txtMode: opts.txtMode });
    calibrationWindows(datasetTokenizers![opts.tokenizer], ds, { nsamples: 4, seqlen: 64, sampling: opts.sampling, seed: 7 });
  },
};

/** A JSON array's items as JSONL (what the .jsonl mutations edit as one array). */
function jsonlOf(b: Buffer): Buffer {
  try {
    const v = JSON.parse(b.toString('utf8')) as unknown;
    if (Array.isArray(v)) return Buffer.from(v.map((x) => JSON.stringify(x) ?? 'null').join('\n'));
  } catch {
    // Broken JSON stays broken: one line of it.
  }
  return b;
}

// ── 8. the Hub cache ────────────────────────────────────────────────────────────────────────────────────
const HUB_REQUEST = { dataset: 'fuzz/rows', config: 'default', split: 'train' };

const hubCacheTarget: FuzzTarget = {
  name: 'hub-cache',
  make(dir, rng) {
    const cacheDir = join(dir, 'cache');
    const file = hubCachePath(HUB_REQUEST, cacheDir);
    mkdirSync(join(file, '..'), { recursive: true });
    const rows = readFileSync(join(SHARED, 'data', 'wikitext-2-raw', 'wiki.test.raw'), 'utf8')
      .slice(0, 3000)
      .split('\n');
    const m = mutateTextFile(Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'), rng);
    const bytes = write(file, m.bytes);
    if (rng() < 0.03) m.what.push(`cache := ${special(file, rng)}`);
    return { what: m.what, bytes };
  },
  async run(dir) {
    const cacheDir = join(dir, 'cache');
    const file = hubCachePath(HUB_REQUEST, cacheDir);
    const offline = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    }) as typeof fetch;
    try {
      await hubDataset(HUB_REQUEST, { cacheDir, fetch: offline });
    } catch (e) {
      // A damaged cache must not stay where it would be read again.
      if (/damaged/.test((e as Error).message) && existsSync(file)) return `kept-bad-cache: ${file} is still in place after "${(e as Error).message}"`;
      throw e;
    }
  },
};

export const TARGETS: Record<string, FuzzTarget> = Object.fromEntries([indexTarget, safetensorsTarget, slicedTarget, configTarget, tokenizerJsonTarget, vocabMergesTarget, datasetTarget, hubCacheTarget].map((t) => [t.name, t]));

/** Keeps a FIFO from blocking the cleanup of a work folder. */
export function clearWork(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
