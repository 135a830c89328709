// `synth`: a Hugging Face model folder with random weights of a real model's shapes — sharded bf16/f16
// safetensors with model.safetensors.index.json, the config (num_hidden_layers cut to --layers), and a
// tokenizer of the family — so the real loading path (sharded 16-bit files, one layer at a time) is what
// runs at 7B–70B scale. Streaming: one 32 MiB chunk is generated while the previous one is written, shard
// by shard; nothing of the model is ever resident. Deterministic per seed (values depend on the seed,
// the tensor's name and the element index only, not on chunking or sharding). The folder appears under
// its final name only when complete (core/export/atomic.ts); free disk is checked before anything is written.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { checkCancelled, type JobContext } from '../base/job-context';
import { parseConfig, type ModelConfig } from '../model/config';
import { archSpec } from '../model/arch-spec';
import { writeAll, writeDurably } from '../model/durable-file';
import { formatBytes, freeBytes, writeAtomically } from '../export/atomic';
import { fill, tensorSeed, type BitsDtype, type Draw } from '../linalg/gaussian';
import { numel, planShards, shardIndex, synthTensors, type Shard, type SynthTensor } from './layout';
import { channelScales } from './spectrum';
import { FillPool } from './fill-pool';
import { checkTokenizerFits, copyTokenizer, findTokenizer } from './tokenizer';
import { SynthError } from './errors';

export interface SynthOptions {
  /** A published config.json (or a folder holding one). */
  config: string;
  out: string;
  dtype?: BitsDtype;
  /** Largest shard in GB (10⁹ bytes, as huggingface_hub counts; default 5). */
  shardGb?: number;
  /** Keep only the first N layers (num_hidden_layers in the written config). */
  layers?: number;
  seed?: number;
  /** Tokenizer folder to copy (default: the family's shared tokenizer). */
  tokenizer?: string;
  overwrite?: boolean;
  /** Worker threads generating values (default: the cores less one, at most 8; 0 = the calling thread). */
  threads?: number;
  /** 'llm' (default): the channel spectrum of spectrum.ts; 'iid': every channel alike (the contrast case in tests). */
  spectrum?: 'llm' | 'iid';
}

export interface SynthResult {
  out: string;
  dtype: BitsDtype;
  layers: number;
  params: number;
  bytes: number;
  shards: number;
  files: string[];
  tokenizerFrom: string;
  seed: number;
  seconds: number;
  paramsPerSecond: number;
}

/** Values per chunk: 16 Mi (32 MiB of 16-bit output); two chunks alternate so writing overlaps generating. */
const CHUNK = 1 << 24;

export function readRawConfig(path: string): Record<string, unknown> {
  const file = statSync(path, { throwIfNoEntry: false })?.isDirectory() ? join(path, 'config.json') : path;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SynthError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SynthError(`${file} is not a JSON object`);
  return raw as Record<string, unknown>;
}

/** The config the synthetic folder gets: layers cut, dtype set (in whichever layout the config uses). */
export function synthConfig(raw: Record<string, unknown>, o: Pick<SynthOptions, 'layers' | 'dtype'>): Record<string, unknown> {
  const out = { ...raw };
  if (o.layers !== undefined) {
    if (!(Number.isInteger(o.layers) && o.layers >= 1)) throw new SynthError(`--layers must be a whole number ≥ 1 (got ${o.layers})`);
    out.num_hidden_layers = o.layers;
  }
  const dtype = (o.dtype ?? 'bf16') === 'bf16' ? 'bfloat16' : 'float16';
  if ('dtype' in out && !('torch_dtype' in out)) out.dtype = dtype;
  else out.torch_dtype = dtype;
  return out;
}

/** Free bytes on the filesystem that will hold `path` (its nearest existing ancestor); null when unknown. */
async function freeBytesNear(path: string): Promise<number | null> {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return freeBytes(dir).catch(() => null);
}

function drawFor(t: SynthTensor, seed: number, init: number, scales: Float32Array): Draw {
  const rows = t.shape.length === 2 ? t.shape[0] : 1;
  const cols = t.shape[t.shape.length - 1];
  const base = { seed: tensorSeed(seed, t.name), rows, cols };
  switch (t.role) {
    case 'embedding':
      return { ...base, std: init, colScale: scales };
    case 'writer':
      return t.shape.length === 2 ? { ...base, std: init, rowScale: scales } : { ...base, std: init, colScale: scales };
    case 'reader':
    case 'bias':
      return { ...base, std: init };
    case 'norm-weight':
      return { ...base, std: 0.02, mean: 1 };
    case 'norm-bias':
      return { ...base, std: 0.02 };
  }
}

function shardHeader(s: Shard, dtype: 'BF16' | 'F16'): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of s.tensors) {
    const len = numel(t) * 2;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  return Buffer.from(JSON.stringify(header), 'utf8');
}

export async function synthModel(ctx: JobContext, o: SynthOptions): Promise<SynthResult> {
  const started = performance.now();
  const dtype = o.dtype ?? 'bf16';
  if (dtype !== 'bf16' && dtype !== 'f16') throw new SynthError(`--dtype must be bf16 or f16 (got ${dtype})`);
  const shardGb = o.shardGb ?? 5;
  if (!(shardGb > 0)) throw new SynthError(`--shard-gb must be a positive number of GB (got ${shardGb})`);
  const seed = o.seed ?? 0;
  const raw = synthConfig(readRawConfig(o.config), o);
  const config: ModelConfig = parseConfig(raw);
  archSpec(config); // shapes the runtime cannot run are refused here, before gigabytes are written
  const tokenizerFrom = findTokenizer(config.family, o.tokenizer);
  checkTokenizerFits(tokenizerFrom, config.vocabSize);
  const tensors = synthTensors(config);
  const shards = planShards(tensors, 2, shardGb * 1e9);
  const params = tensors.reduce((a, t) => a + numel(t), 0);
  const bytes = params * 2;
  const init = Number(raw.initializer_range ?? raw.init_std ?? 0.02);
  const scales = o.spectrum === 'iid' ? new Float32Array(config.hiddenSize).fill(1) : channelScales(config.hiddenSize, seed);
  const stDtype = dtype === 'bf16' ? ('BF16' as const) : ('F16' as const);

  const out = resolve(o.out);
  // Refused before anything is written, in synth's own words (writeAtomically checks again, as for exports).
  const free = await freeBytesNear(out);
  const need = bytes + 64 * 2 ** 20;
  if (free !== null && free < need) throw new SynthError(`not enough free disk space for ${out}: the model needs about ${formatBytes(need)}, ${formatBytes(free)} is free (--layers N writes fewer layers)`);
  const files = await writeAtomically(out, { estimateBytes: bytes + 64 * 2 ** 20, overwrite: o.overwrite }, async (tmp) => {
    mkdirSync(tmp, { recursive: true });
    const threads = o.threads ?? Math.min(8, availableParallelism() - 1);
    const pool = threads > 0 ? new FillPool(threads) : null;
    const bufs = pool ? [FillPool.buffer(CHUNK), FillPool.buffer(CHUNK)] : [new Uint16Array(CHUNK), new Uint16Array(CHUNK)];
    const generate = async (d: Draw, first: number, out: Uint16Array) => (pool ? pool.fill(d, first, out, dtype) : fill(d, first, out, dtype));
    let written = 0;
    let which = 0;
    const t0 = performance.now();
    try {
      for (const [k, s] of shards.entries()) {
        const hb = shardHeader(s, stDtype);
        const padded = Buffer.concat([hb, Buffer.alloc((8 - (hb.length % 8)) % 8, 0x20)]);
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(padded.length));
        await writeDurably(join(tmp, s.file), async (fh: FileHandle) => {
          await writeAll(fh, len);
          await writeAll(fh, padded);
          let pending: Promise<void> = Promise.resolve();
          try {
          for (const t of s.tensors) {
            const n = numel(t);
            const draw = drawFor(t, seed, init, scales);
            for (let first = 0; first < n; first += CHUNK) {
              checkCancelled(ctx);
              const m = Math.min(CHUNK, n - first);
              const buf = bufs[which].subarray(0, m);
              await generate(draw, first, buf); // while the previous chunk is being written
              await pending; // the other buffer is free again once its write is done
              pending = writeAll(fh, new Uint8Array(buf.buffer, 0, m * 2));
              pending.catch(() => {}); // handled: awaited after the next chunk is generated
              which ^= 1;
              written += m * 2;
              const el = (performance.now() - t0) / 1000;
              ctx.progress({ phase: 'write', fraction: written / bytes, etaSeconds: el > 1 ? (el * (bytes - written)) / written : undefined, message: `${s.file} (shard ${k + 1}/${shards.length})` });
            }
          }
          } finally {
            await pending.catch(() => {}); // never close the file under a write in flight
          }
          await pending;
        });
      }
    } finally {
      await pool?.close();
    }
    if (shards.length > 1) writeFileSync(join(tmp, 'model.safetensors.index.json'), shardIndex(shards));
    writeFileSync(join(tmp, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
    const tok = copyTokenizer(tokenizerFrom, tmp);
    return [...shards.map((s) => s.file), ...(shards.length > 1 ? ['model.safetensors.index.json'] : []), 'config.json', ...tok];
  });
  const seconds = (performance.now() - started) / 1000;
  ctx.progress({ phase: 'done', fraction: 1 });
  return { out, dtype, layers: config.numLayers, params, bytes, shards: shards.length, files, tokenizerFrom, seed, seconds, paramsPerSecond: params / seconds };
}
