// `exportGguf(ctx, { model, dtype, out })`: a dense folder of a family with a GGUF architecture (llama, mistral:
// llama; qwen2; qwen3; phi3 — architectures.ts), or one sliced with `--rotation uniform`, as a GGUF v3 file for
// llama.cpp (and Ollama, LM Studio), plus an Ollama Modelfile.
//
// Per-layer SliceGPT models carry d_in×d_out shortcut matrices on the residual, which llama.cpp's graphs
// have no place for: those are refused with a pointer to the uniform mode. A uniform slice has one width D′
// everywhere, so it is a plain model with hidden size D′ whose attention and MLP widths stay as they
// were (hence attention.key_length/value_length: D′ ≠ heads × head_dim; qwen2 and phi3 cannot say that and are
// written as llama, architectures.ts) and whose norms are compensated for dividing by the original D (llama.ts). Tensors stream one layer at a time into an atomically renamed file.
import { cleanStaleTemps } from '../../files/stale-temps';
import { formatBytes } from '../../files/disk-full';
import { existsSync, mkdirSync, renameSync, statfsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkCancelled, type JobContext } from '../../base/job-context';
import { isSlicedModelFolder, type SlicedModelSource } from '../../slicegpt/sliced-source';
import { untiedEmbedding, untiedHead } from '../../slicegpt/tied';
import { openAnyModel } from '../../slicegpt/open';
import type { ModelSource } from '../../model/model-source';
import { FAMILIES, family } from '../../model/families/index';
import type { Linear, NormSpec } from '../../model/weights';
import type { ModelConfig } from '../../model/config';
import { GGML_QUANT_VERSION, GgmlType, type GgufDtype } from './constants';
import { FILE_TYPES, tensorType } from './mixture';
import { kquantRefusal } from './kquant-refusal';
import { GgufDiskSpaceError, GgufExportError, GgufUnsupportedError } from './errors';
import { GgufWriter, type TensorInfo } from './writer';
import { encodeTensor } from './quantize';
import { compensatedEps, compensatedNormWeight } from './llama';
import { chooseArchitecture, type GgufArch } from './architectures';
import { blockTensors, type BlockTensor } from './block-tensors';
import { tokenizerMetadata, writeTokenizer } from './tokenizer';
import { loadableName } from './general-name';
import { uniformWidth } from '../uniform-width';
import { modelfilePath, modelfileText } from './modelfile';
import { assertReplaceable } from './replaceable';
import { llama3RopeFactors, ROPE_FREQS_TENSOR } from './rope-freqs';
import { llama3Rope } from '../../model/arch-spec';

export { GgufExportError, GgufUnsupportedError, GgufDiskSpaceError } from './errors';
export type { GgufDtype } from './constants';

export interface GgufExportOptions {
  /** Dense Hugging Face folder (llama, mistral) or a folder sliced with `--rotation uniform`. */
  model: string;
  dtype: GgufDtype;
  /** A .gguf file path, or a folder (the file is then `<model folder name>-<dtype>.gguf` in it). */
  out: string;
  /** general.name (default: the model folder's name). */
  name?: string;
}

export interface GgufExportResult {
  file: string;
  modelfile: string;
  bytes: number;
  sha256: string;
  dtype: GgufDtype;
  format: 'gguf';
  runtime: 'llama.cpp';
  /** general.architecture: the family's llama.cpp architecture, or llama where its graph cannot hold the model (architectures.ts). */
  architecture: GgufArch;
  /** Residual width in the file (<arch>.embedding_length) and the original hidden size. */
  width: number;
  hiddenSize: number;
  sliced: boolean;
  tensors: number;
  /** 2-D tensors written as F16 because their rows do not split into 32-element blocks. */
  f16Fallback: string[];
  /** Tensors written in another type than the dtype's rules chose because their rows (ne0) do not fill its blocks. */
  fallbacks: { tensor: string; wanted: string; type: string; rowLength: number }[];
  /** How many tensors of each ggml type the file holds (F32 = the norms). */
  tensorTypes: Record<string, number>;
  /** Tensor data bytes (no metadata, no alignment padding): what the planner's weight bytes predict. */
  tensorBytes: number;
  /** All tensor bytes × 8 / all tensor elements (what llama.cpp prints as BPW). */
  bitsPerWeight: number;
  seconds: number;
}

const DTYPES = FILE_TYPES;

/** The uniform width of a sliced folder, or why it cannot go to GGUF. */
const sliceWidth = (src: SlicedModelSource, folder: string): number =>
  uniformWidth(src, (widths) => new GgufUnsupportedError(`${folder} was sliced with per-layer rotations (shortcut matrices, widths ${widths}), which llama.cpp cannot run; slice the dense model with --rotation uniform to export GGUF`));

function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export async function exportGguf(ctx: JobContext, o: GgufExportOptions): Promise<GgufExportResult> {
  const started = performance.now();
  if (!(o.dtype in DTYPES)) throw new GgufExportError(`--dtype must be one of ${Object.keys(DTYPES).join(', ')} for GGUF, got ${o.dtype}`);
  if (!o.out) throw new GgufExportError('--out is required');
  ctx.progress({ phase: 'load', fraction: 0, message: `opening ${o.model}` });
  const src: ModelSource = await openAnyModel(o.model);
  const cfg = src.config;
  const rope = refuseOutsideGgufGraphs(cfg, o.model);
  const sliced = isSlicedModelFolder(o.model);
  const D = cfg.hiddenSize;
  const width = sliced ? sliceWidth(src as SlicedModelSource, src.folder) : D;
  if ((o.dtype === 'q8_0' || o.dtype === 'q4_0') && width % 32 !== 0) throw new GgufExportError(`${o.dtype} needs the residual width to be a multiple of 32, but it is ${width}; slice with --round 32${sliced ? '' : ' (or export f16)'}`);
  const { H, KV, hd, F, V } = llamaDims(cfg);
  const { arch, why, bias, tiedOutput } = exportLayout(cfg, rope, width, sliced);
  if (why) ctx.log(`GGUF: ${why}`);
  const ropeFactors = rope.type === 'llama3' ? llama3RopeFactors(rope.theta, rope.rotaryDim, llama3Rope(rope.scaling)) : null;

  const file = resolve(o.out.endsWith('.gguf') ? o.out : join(o.out, `${basename(resolve(o.model))}-${o.dtype}.gguf`));
  assertReplaceable(file);
  mkdirSync(dirname(file), { recursive: true });
  // The head norms (qwen3) read the file's one epsilon and divide by head_dim as the model does: the residual
  // norms then keep ε instead of the compensated ε·D/d, which differs from the app's norm by a relative
  // ε·(D/d − 1)/(2·mean(x²)) — below 1e-6 for any activation with mean(x²) ≥ 1 at ε = 1e-6.
  const eps = arch.headNorms ? cfg.normEps : compensatedEps(cfg.normEps, D, width);
  if (arch.headNorms && width !== D) ctx.log(`GGUF ${arch.id}: residual norms keep eps ${cfg.normEps} (the head norms share the key), not the exact width compensation`);

  const w = new GgufWriter();
  const tok = await writeMetadata(ctx, w, o, cfg, rope, { arch: arch.id, width, eps, sliced });
  const blocks = Array.from({ length: cfg.numLayers }, (_, i) => blockTensors(arch, i, { width, heads: H, kvHeads: KV, headDim: hd, intermediate: F }, bias, normWeight));

  const { f16Fallback, fallbacks, tensorTypes, elements, tensorBytes } = planTensors(ctx, w, cfg, { width, sliced, dtype: o.dtype, blocks, ropeFreqs: ropeFactors?.length ?? 0, arch: arch.id, tiedOutput });

  const size = w.fileSize();
  checkDiskSpace(ctx, file, size);

  // Data: one layer in memory at a time, converted to llama.cpp's conventions.
  const shape = (what: string, m: { rows: number; cols: number }, rows: number, cols: number) => {
    if (m.rows !== rows || m.cols !== cols) throw new GgufExportError(`${what} is ${m.rows}×${m.cols}, expected ${rows}×${cols}`);
  };
  function normWeight(what: string, n: NormSpec, over: number): Float32Array {
    if (n.kind !== 'rmsnorm') throw new GgufUnsupportedError('GGUF export needs RMSNorm');
    const e = arch.headNorms ? n.eps : compensatedEps(n.eps, n.divisor, over);
    if (Math.abs(e - eps) > 1e-6 * eps) throw new GgufUnsupportedError(`${what}: its norm needs eps ${e}, other norms ${eps} (one eps per GGUF file)`);
    return compensatedNormWeight(n, over);
  }
  const noBias = (what: string, l: Linear) => {
    if (l.bias) throw new GgufUnsupportedError(`${what} has a bias, which llama.cpp's ${arch.id} graph does not read`);
    return l.weight;
  };
  let cache: { layer: number; data: Map<string, Float32Array> } | null = null;
  const layerTensors = async (i: number): Promise<Map<string, Float32Array>> => {
    const lw = await src.layer(i);
    if (lw.kind !== 'sequential') throw new GgufUnsupportedError('GGUF export needs sequential (llama) blocks');
    if (lw.attn.shortcut || lw.mlp.shortcut) throw new GgufUnsupportedError(`layer ${i} has shortcut matrices (per-layer SliceGPT), which llama.cpp cannot run; slice with --rotation uniform to export GGUF`);
    return new Map(blocks[i].map((t) => [t.name, t.read(lw)]));
  };
  const values = async (t: TensorInfo): Promise<Float32Array> => {
    if (t.name === ROPE_FREQS_TENSOR) return ropeFactors!;
    if (t.name === 'token_embd.weight') {
      // A tied embedding stored once (sliced format 2): GGUF has token_embd and output, each V×d.
      const e = await untiedEmbedding(await src.embedding());
      if (e.positions) throw new GgufUnsupportedError('learned position embeddings cannot go to GGUF');
      shape('token embedding', e.tokens, V, width);
      return e.tokens.data;
    }
    if (t.name === 'output_norm.weight' || t.name === 'output.weight') {
      const h = await untiedHead(await src.head());
      const lm = noBias('head', h.lm);
      shape('head', lm, V, width);
      return t.name === 'output.weight' ? lm.data : normWeight('final norm', h.norm, width);
    }
    const i = Number(/^blk\.(\d+)\./.exec(t.name)![1]);
    if (!cache || cache.layer !== i) cache = { layer: i, data: await layerTensors(i) };
    return cache.data.get(t.name)!;
  };
  const n = w.tensors.length;
  const written = await w.write(file, async (t, index) => {
    checkCancelled(ctx);
    ctx.progress({ phase: 'write', fraction: index / n, message: t.name });
    return encodeTensor(await values(t), t.type);
  });
  cache = null;

  const modelfile = modelfilePath(file);
  const eosToken = tok.eos !== null ? tok.tokens[tok.eos] : null;
  // The PID in the temporary name lets the next export remove it if this process is killed here.
  writeFileSync(`${modelfile}.tmp-${process.pid}`, modelfileText({ ggufFile: file, eosToken, contextLength: cfg.maxPositions, source: resolve(o.model) }));
  renameSync(`${modelfile}.tmp-${process.pid}`, modelfile);
  ctx.progress({ phase: 'done', fraction: 1 });
  if (!existsSync(file)) throw new GgufExportError(`internal: ${file} was not written`);
  return {
    file,
    modelfile,
    bytes: written.bytes,
    sha256: written.sha256,
    dtype: o.dtype,
    format: 'gguf',
    runtime: 'llama.cpp',
    architecture: arch.id,
    width,
    hiddenSize: D,
    sliced,
    tensors: n,
    f16Fallback,
    fallbacks,
    tensorTypes,
    tensorBytes,
    bitsPerWeight: (tensorBytes * 8) / elements,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The llama graph's sizes, as llama.cpp names them. */
const llamaDims = (c: ModelConfig) => ({ H: c.numHeads, KV: c.numKvHeads, hd: c.headDim, F: c.intermediateSize, V: c.vocabSize, L: c.numLayers });

/** Why a model cannot be expressed in any llama.cpp graph we write (one line), else its rotary settings. */
function refuseOutsideGgufGraphs(cfg: ModelConfig, model: string): NonNullable<ModelConfig['rope']> {
  if (family(cfg.family).gguf === null)
    throw new GgufUnsupportedError(
      `GGUF export supports the families ${FAMILIES.filter((f) => f.gguf !== null)
        .map((f) => f.id)
        .join(', ')}; ${model} is ${cfg.family} (export it as ONNX: --format onnx)`,
    );
  if (!cfg.rope) throw new GgufUnsupportedError('GGUF export needs a rotary-embedding model');
  const ropeType = cfg.rope.type;
  if (ropeType !== 'default' && ropeType !== 'linear' && ropeType !== 'llama3') throw new GgufUnsupportedError(`GGUF export does not support rope scaling ${JSON.stringify(ropeType.slice(0, 40))} yet`);
  if (cfg.rope.rotaryDim !== cfg.headDim) throw new GgufUnsupportedError('GGUF export needs rotary embeddings over the whole head');
  return cfg.rope;
}

/** general.*, llama.*, tokenizer.* and where the file came from; returns the tokenizer (the Modelfile needs its EOS). */
async function writeMetadata(ctx: JobContext, w: GgufWriter, o: GgufExportOptions, cfg: ModelConfig, rope: NonNullable<ModelConfig['rope']>, at: { arch: GgufArch; width: number; eps: number; sliced: boolean }) {
  const { arch, width, eps, sliced } = at;
  const D = cfg.hiddenSize;
  const { H, KV, hd, F, V, L } = llamaDims(cfg);
  const ropeType = rope.type;
  const tok = await tokenizerMetadata(o.model, V, cfg);
  const name = loadableName(o.name ?? basename(resolve(o.model)), tok.tokens);
  if (name.why) ctx.log(`GGUF: ${name.why}`);
  w.string('general.architecture', arch);
  w.string('general.name', name.name);
  w.uint32('general.file_type', DTYPES[o.dtype]);
  w.uint32('general.quantization_version', GGML_QUANT_VERSION);
  w.uint32(`${arch}.vocab_size`, V);
  w.uint32(`${arch}.context_length`, cfg.maxPositions);
  w.uint32(`${arch}.embedding_length`, width);
  w.uint32(`${arch}.block_count`, L);
  w.uint32(`${arch}.feed_forward_length`, F);
  w.uint32(`${arch}.rope.dimension_count`, rope.rotaryDim);
  w.float32(`${arch}.rope.freq_base`, rope.theta);
  if (ropeType === 'linear') {
    w.string(`${arch}.rope.scaling.type`, 'linear');
    w.float32(`${arch}.rope.scaling.factor`, Number((rope.scaling as Record<string, unknown>)?.factor ?? 1));
  }
  w.uint32(`${arch}.attention.head_count`, H);
  w.uint32(`${arch}.attention.head_count_kv`, KV);
  w.uint32(`${arch}.attention.key_length`, hd);
  w.uint32(`${arch}.attention.value_length`, hd);
  w.float32(`${arch}.attention.layer_norm_rms_epsilon`, eps);
  writeTokenizer(w, tok);
  w.string('slice_studio.source', resolve(o.model));
  w.string('slice_studio.rotation', sliced ? 'uniform' : 'none');
  w.uint32('slice_studio.hidden_size', D);
  return tok;
}

/** The architecture a model is written as (one line logged when it is not the family's own), its biases, and
 * whether the head is token_embd itself. Pure: the listing below and the export share it. */
function exportLayout(cfg: ModelConfig, rope: NonNullable<ModelConfig['rope']>, width: number, sliced: boolean) {
  const { H, hd } = llamaDims(cfg);
  const bias = { qkv: cfg.attentionBias, o: cfg.attentionOutBias, mlp: cfg.mlpBias };
  const chosen = chooseArchitecture(family(cfg.family).gguf!, { width, attentionWidth: H * hd, qkvBias: bias.qkv, oBias: bias.o, mlpBias: bias.mlp });
  const arch = chosen.arch;
  if (rope.type === 'llama3' && arch.id !== 'llama') throw new GgufUnsupportedError(`rope_scaling "llama3" is written for llama.cpp's llama architecture only, and this model is written as ${arch.id}`);
  // As the converter does for Llama-3.2: a dense tied head is token_embd itself, which llama.cpp reuses when
  // output.weight is absent. A slice's head has the final norm's scale folded in, so it is no longer the embedding.
  const tiedOutput = cfg.tieWordEmbeddings && !sliced && arch.optionalOutput;
  return { arch, why: chosen.why, bias, tiedOutput };
}

export interface GgufTensorPlan {
  name: string;
  /** GGUF's ne: [row length, rows] for a matrix, [length] for a vector. */
  ne: number[];
  /** What is written, and what the dtype's rules asked for before the row fallback. */
  type: GgmlType;
  wanted: GgmlType;
}

/** Every tensor in file order with its shape and type (per tensor: mixture.ts, with llama.cpp's fallbacks). */
function tensorList(cfg: ModelConfig, at: { width: number; dtype: GgufDtype; blocks: BlockTensor[][]; ropeFreqs: number; arch: GgufArch; tiedOutput: boolean }): GgufTensorPlan[] {
  const { width, dtype, blocks, ropeFreqs, arch, tiedOutput } = at;
  const { H, KV, V, L } = llamaDims(cfg);
  const quant = { arch, layers: L, heads: H, kvHeads: KV, tiedOutput };
  const out: GgufTensorPlan[] = [];
  const vec = (name: string, n: number) => out.push({ name, ne: [n], type: GgmlType.F32, wanted: GgmlType.F32 });
  const mat = (name: string, rows: number, cols: number) => out.push({ name, ne: [cols, rows], ...tensorType(dtype, name, cols, quant) });
  if (ropeFreqs) vec(ROPE_FREQS_TENSOR, ropeFreqs);
  mat('token_embd.weight', V, width);
  for (const block of blocks) for (const t of block) t.cols === undefined ? vec(t.name, t.rows) : mat(t.name, t.rows, t.cols);
  vec('output_norm.weight', width);
  if (!tiedOutput) mat('output.weight', V, width);
  return out;
}

/**
 * The tensors a GGUF export of `model` (its config) at residual width `width` writes, names, shapes and types,
 * without reading a weight or writing a file — what the planner's GGUF sizes are checked against.
 */
export function ggufExportTensors(cfg: ModelConfig, at: { width: number; sliced: boolean; dtype: GgufDtype }): GgufTensorPlan[] {
  const rope = refuseOutsideGgufGraphs(cfg, cfg.family);
  const { arch, bias, tiedOutput } = exportLayout(cfg, rope, at.width, at.sliced);
  const { H, KV, hd, F } = llamaDims(cfg);
  const unread = (): never => {
    throw new GgufExportError('internal: a listed tensor was read');
  };
  const blocks = Array.from({ length: cfg.numLayers }, (_, i) => blockTensors(arch, i, { width: at.width, heads: H, kvHeads: KV, headDim: hd, intermediate: F }, bias, unread));
  return tensorList(cfg, { width: at.width, dtype: at.dtype, blocks, ropeFreqs: rope.type === 'llama3' ? rope.rotaryDim / 2 : 0, arch: arch.id, tiedOutput });
}

/** Every tensor's name, shape and type (tensorList), which fixes every offset before any data is read; refuses a
 * K-quant no matrix can take. */
function planTensors(ctx: JobContext, w: GgufWriter, cfg: ModelConfig, at: { width: number; sliced: boolean; dtype: GgufDtype; blocks: BlockTensor[][]; ropeFreqs: number; arch: GgufArch; tiedOutput: boolean }) {
  const { width, sliced, dtype } = at;
  const { H, F } = llamaDims(cfg);
  const f16Fallback: string[] = [];
  const fallbacks: GgufExportResult['fallbacks'] = [];
  for (const t of tensorList(cfg, at)) {
    w.addTensor(t.name, t.ne, t.type);
    if (t.type === t.wanted) continue;
    fallbacks.push({ tensor: t.name, wanted: GgmlType[t.wanted], type: GgmlType[t.type], rowLength: t.ne[0] });
    if (t.type === GgmlType.F16) f16Fallback.push(t.name);
  }
  if (f16Fallback.length)
    ctx.log(
      `GGUF ${dtype}: ${f16Fallback.length} tensors have rows that are not a multiple of 32 (or are one block of 32, which llama.cpp’s AMX kernels multiply wrongly) and stay F16 (${f16Fallback.slice(0, 3).join(', ')}${f16Fallback.length > 3 ? ', …' : ''})`,
    );
  const kRefusal = kquantRefusal(dtype, w.tensors, { width, sliced, intermediate: F, headsWidth: H * cfg.headDim });
  if (kRefusal) throw new GgufExportError(kRefusal);
  const byType = new Map<string, string[]>();
  for (const f of fallbacks) if (f.type !== 'F16') byType.set(`${f.wanted}→${f.type} (rows of ${f.rowLength})`, [...(byType.get(`${f.wanted}→${f.type} (rows of ${f.rowLength})`) ?? []), f.tensor]);
  for (const [what, names] of byType) ctx.log(`GGUF ${dtype}: ${names.length} tensor(s) fall back ${what}, as llama.cpp's quantizer does: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}`);
  const tensorTypes: Record<string, number> = {};
  let elements = 0;
  let tensorBytes = 0;
  for (const t of w.tensors) {
    tensorTypes[GgmlType[t.type]] = (tensorTypes[GgmlType[t.type]] ?? 0) + 1;
    elements += t.ne.reduce((a, b) => a * b, 1);
    tensorBytes += t.bytes;
  }
  return { f16Fallback, fallbacks, tensorTypes, elements, tensorBytes };
}

/** Refuses (one line) a disk that cannot take the file plus a margin, after clearing killed exports' temporaries. */
function checkDiskSpace(ctx: JobContext, file: string, size: number): void {
  // Temporaries of exports that were killed (their process is gone) would otherwise hold the space we need.
  const stale = cleanStaleTemps(dirname(file));
  if (stale.length) ctx.log(`removed ${stale.length} temporary file(s) left by killed exports in ${dirname(file)}`);
  const free = freeBytes(dirname(file));
  // The margin (2 % + 64 MiB) keeps the disk from filling to the last byte while the Modelfile and logs are written.
  const margin = size * 0.02 + (64 << 20);
  if (free !== null && free < size + margin)
    throw new GgufDiskSpaceError(`not enough free disk space in ${dirname(file)}: the GGUF needs ${formatBytes(size + margin)} (the file's ${formatBytes(size)} plus a ${formatBytes(margin)} safety margin), ${formatBytes(free)} are free`);
}
