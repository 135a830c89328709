// `exportGguf(ctx, { model, dtype, out })`: a dense llama-family folder, or one sliced with
// `--rotation uniform`, as a GGUF v3 file for llama.cpp (and Ollama, LM Studio), plus an Ollama Modelfile.
//
// Per-layer SliceGPT models carry d_in×d_out shortcut matrices on the residual, which llama.cpp's llama graph
// has no place for: those are refused with a pointer to the uniform mode. A uniform slice has one width D′
// everywhere, so it is a plain llama model with hidden size D′ whose attention and MLP widths stay as they
// were (hence attention.key_length/value_length: D′ ≠ heads × head_dim) and whose norms are compensated for
// dividing by the original D (llama.ts). Tensors stream one layer at a time into an atomically renamed file.
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
import type { LayerWeights, Linear, NormSpec } from '../../model/weights';
import type { ModelConfig } from '../../model/config';
import { GGML_QUANT_VERSION, GgmlType, type GgufDtype } from './constants';
import { FILE_TYPES, tensorType } from './mixture';
import { kquantRefusal } from './kquant-refusal';
import { GgufDiskSpaceError, GgufExportError, GgufUnsupportedError } from './errors';
import { GgufWriter, type TensorInfo } from './writer';
import { encodeTensor } from './quantize';
import { compensatedEps, compensatedNormWeight, permuteRopeRows } from './llama';
import { tokenizerMetadata, writeTokenizer } from './tokenizer';
import { modelfilePath, modelfileText } from './modelfile';
import { assertReplaceable } from './replaceable';

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
  /** Residual width in the file (llama.embedding_length) and the original hidden size. */
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
  /** All tensor bytes × 8 / all tensor elements (what llama.cpp prints as BPW). */
  bitsPerWeight: number;
  seconds: number;
}

const DTYPES = FILE_TYPES;

/** Read the uniform width of a sliced folder, or explain why it cannot go to GGUF. */
function uniformWidth(src: SlicedModelSource): number {
  const s = src.slicing as Record<string, unknown>;
  const dims = ['embedding_dimensions', 'attention_input_dimensions', 'attention_output_dimensions', 'mlp_input_dimensions', 'mlp_output_dimensions'].flatMap((k) => Object.values((s[k] ?? {}) as Record<string, number>));
  const head = s.head_dimension as number | null;
  const widths = new Set([...dims, ...(head === null || head === undefined ? [src.config.hiddenSize] : [head])]);
  if (widths.size !== 1)
    throw new GgufUnsupportedError(`${src.folder} was sliced with per-layer rotations (shortcut matrices, widths ${[...widths].join('/')}), which llama.cpp cannot run; slice the dense model with --rotation uniform to export GGUF`);
  return [...widths][0];
}

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
  const rope = refuseOutsideLlamaGraph(cfg, o.model);
  const sliced = isSlicedModelFolder(o.model);
  const D = cfg.hiddenSize;
  const width = sliced ? uniformWidth(src as SlicedModelSource) : D;
  if ((o.dtype === 'q8_0' || o.dtype === 'q4_0') && width % 32 !== 0) throw new GgufExportError(`${o.dtype} needs the residual width to be a multiple of 32, but it is ${width}; slice with --round 32${sliced ? '' : ' (or export f16)'}`);

  const file = resolve(o.out.endsWith('.gguf') ? o.out : join(o.out, `${basename(resolve(o.model))}-${o.dtype}.gguf`));
  assertReplaceable(file);
  mkdirSync(dirname(file), { recursive: true });
  const eps = compensatedEps(cfg.normEps, D, width);
  const { H, KV, hd, F, V, L } = llamaDims(cfg);

  const w = new GgufWriter();
  const tok = await writeMetadata(w, o, cfg, rope, { width, eps, sliced });

  const { f16Fallback, fallbacks, tensorTypes, elements, tensorBytes } = planTensors(ctx, w, cfg, { width, sliced, dtype: o.dtype });

  const size = w.fileSize();
  checkDiskSpace(ctx, file, size);

  // Data: one layer in memory at a time, converted to llama.cpp's conventions.
  const shape = (what: string, m: { rows: number; cols: number }, rows: number, cols: number) => {
    if (m.rows !== rows || m.cols !== cols) throw new GgufExportError(`${what} is ${m.rows}×${m.cols}, expected ${rows}×${cols}`);
  };
  const norm = (what: string, n: NormSpec): Float32Array => {
    if (n.kind !== 'rmsnorm') throw new GgufUnsupportedError('GGUF export needs RMSNorm');
    const e = compensatedEps(n.eps, n.divisor, width);
    if (Math.abs(e - eps) > 1e-6 * eps) throw new GgufUnsupportedError(`${what}: its norm needs eps ${e}, other norms ${eps} (one eps per GGUF file)`);
    return compensatedNormWeight(n, width);
  };
  const noBias = (what: string, l: Linear) => {
    if (l.bias) throw new GgufUnsupportedError(`${what} has a bias, which llama.cpp's llama graph does not read`);
    return l.weight;
  };
  let cache: { layer: number; data: Map<string, Float32Array> } | null = null;
  const layerTensors = (i: number, lw: LayerWeights): Map<string, Float32Array> => {
    if (lw.kind !== 'sequential') throw new GgufUnsupportedError('GGUF export needs sequential (llama) blocks');
    const { attn, mlp } = lw;
    if (attn.shortcut || mlp.shortcut) throw new GgufUnsupportedError(`layer ${i} has shortcut matrices (per-layer SliceGPT), which llama.cpp cannot run; slice with --rotation uniform to export GGUF`);
    if (!mlp.gate) throw new GgufUnsupportedError('GGUF export needs a gated (SwiGLU) MLP');
    const p = `blk.${i}`;
    const q = noBias(`${p} q`, attn.q);
    shape(`${p} q`, q, H * hd, width);
    const k = noBias(`${p} k`, attn.k);
    shape(`${p} k`, k, KV * hd, width);
    const v = noBias(`${p} v`, attn.v);
    shape(`${p} v`, v, KV * hd, width);
    const ao = noBias(`${p} o`, attn.o);
    shape(`${p} o`, ao, width, H * hd);
    const g = noBias(`${p} gate`, mlp.gate);
    shape(`${p} gate`, g, F, width);
    const u = noBias(`${p} up`, mlp.up);
    shape(`${p} up`, u, F, width);
    const dn = noBias(`${p} down`, mlp.down);
    shape(`${p} down`, dn, width, F);
    return new Map([
      [`${p}.attn_norm.weight`, norm(`${p} attention norm`, attn.norm)],
      [`${p}.attn_q.weight`, permuteRopeRows(q, H).data],
      [`${p}.attn_k.weight`, permuteRopeRows(k, KV).data],
      [`${p}.attn_v.weight`, v.data],
      [`${p}.attn_output.weight`, ao.data],
      [`${p}.ffn_norm.weight`, norm(`${p} MLP norm`, mlp.norm)],
      [`${p}.ffn_gate.weight`, g.data],
      [`${p}.ffn_up.weight`, u.data],
      [`${p}.ffn_down.weight`, dn.data],
    ]);
  };
  const values = async (t: TensorInfo): Promise<Float32Array> => {
    if (t.name === 'token_embd.weight') {
      // A tied embedding stored once (sliced format 2): GGUF has token_embd and output, each V×d.
      const e = await untiedEmbedding(await src.embedding());
      if (e.positions) throw new GgufUnsupportedError('learned position embeddings cannot go to GGUF llama');
      shape('token embedding', e.tokens, V, width);
      return e.tokens.data;
    }
    if (t.name === 'output_norm.weight' || t.name === 'output.weight') {
      const h = await untiedHead(await src.head());
      const lm = noBias('head', h.lm);
      shape('head', lm, V, width);
      return t.name === 'output.weight' ? lm.data : norm('final norm', h.norm);
    }
    const i = Number(/^blk\.(\d+)\./.exec(t.name)![1]);
    if (!cache || cache.layer !== i) cache = { layer: i, data: layerTensors(i, await src.layer(i)) };
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
    width,
    hiddenSize: D,
    sliced,
    tensors: n,
    f16Fallback,
    fallbacks,
    tensorTypes,
    bitsPerWeight: (tensorBytes * 8) / elements,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The llama graph's sizes, as llama.cpp names them. */
const llamaDims = (c: ModelConfig) => ({ H: c.numHeads, KV: c.numKvHeads, hd: c.headDim, F: c.intermediateSize, V: c.vocabSize, L: c.numLayers });

/** Why a model cannot be expressed in llama.cpp's llama graph (one line), else its rotary settings. */
function refuseOutsideLlamaGraph(cfg: ModelConfig, model: string): NonNullable<ModelConfig['rope']> {
  if (family(cfg.family).gguf !== 'llama')
    throw new GgufUnsupportedError(
      `GGUF export supports the llama family (${FAMILIES.filter((f) => f.gguf === 'llama')
        .map((f) => f.id)
        .join(', ')}); ${model} is ${cfg.family}`,
    );
  if (cfg.attentionBias || cfg.attentionOutBias || cfg.mlpBias) throw new GgufUnsupportedError('GGUF export of llama models with attention or MLP biases is not supported');
  if (!cfg.rope) throw new GgufUnsupportedError('GGUF export needs a rotary-embedding model');
  const ropeType = cfg.rope.type;
  if (ropeType !== 'default' && ropeType !== 'linear') throw new GgufUnsupportedError(`GGUF export does not support rope scaling ${JSON.stringify(ropeType.slice(0, 40))} yet`);
  if (cfg.rope.rotaryDim !== cfg.headDim) throw new GgufUnsupportedError('GGUF export needs rotary embeddings over the whole head');
  return cfg.rope;
}

/** general.*, llama.*, tokenizer.* and where the file came from; returns the tokenizer (the Modelfile needs its EOS). */
async function writeMetadata(w: GgufWriter, o: GgufExportOptions, cfg: ModelConfig, rope: NonNullable<ModelConfig['rope']>, at: { width: number; eps: number; sliced: boolean }) {
  const { width, eps, sliced } = at;
  const D = cfg.hiddenSize;
  const { H, KV, hd, F, V, L } = llamaDims(cfg);
  const ropeType = rope.type;
  w.string('general.architecture', 'llama');
  w.string('general.name', o.name ?? basename(resolve(o.model)));
  w.uint32('general.file_type', DTYPES[o.dtype]);
  w.uint32('general.quantization_version', GGML_QUANT_VERSION);
  w.uint32('llama.vocab_size', V);
  w.uint32('llama.context_length', cfg.maxPositions);
  w.uint32('llama.embedding_length', width);
  w.uint32('llama.block_count', L);
  w.uint32('llama.feed_forward_length', F);
  w.uint32('llama.rope.dimension_count', rope.rotaryDim);
  w.float32('llama.rope.freq_base', rope.theta);
  if (ropeType === 'linear') {
    w.string('llama.rope.scaling.type', 'linear');
    w.float32('llama.rope.scaling.factor', Number((rope.scaling as Record<string, unknown>)?.factor ?? 1));
  }
  w.uint32('llama.attention.head_count', H);
  w.uint32('llama.attention.head_count_kv', KV);
  w.uint32('llama.attention.key_length', hd);
  w.uint32('llama.attention.value_length', hd);
  w.float32('llama.attention.layer_norm_rms_epsilon', eps);
  const tok = await tokenizerMetadata(o.model, V, cfg);
  writeTokenizer(w, tok);
  w.string('slice_studio.source', resolve(o.model));
  w.string('slice_studio.rotation', sliced ? 'uniform' : 'none');
  w.uint32('slice_studio.hidden_size', D);
  return tok;
}

/** Every tensor's name, shape and type (per tensor: mixture.ts, with llama.cpp's fallbacks), which fixes every
 * offset before any data is read; refuses a K-quant no matrix can take. */
function planTensors(ctx: JobContext, w: GgufWriter, cfg: ModelConfig, at: { width: number; sliced: boolean; dtype: GgufDtype }) {
  const { width, sliced, dtype } = at;
  const { H, KV, hd, F, V, L } = llamaDims(cfg);
  const f16Fallback: string[] = [];
  const fallbacks: GgufExportResult['fallbacks'] = [];
  const matrixType = (name: string, ne0: number): GgmlType => {
    const t = tensorType(dtype, name, ne0, { layers: L, heads: H, kvHeads: KV });
    if (t.type !== t.wanted) {
      fallbacks.push({ tensor: name, wanted: GgmlType[t.wanted], type: GgmlType[t.type], rowLength: ne0 });
      if (t.type === GgmlType.F16) f16Fallback.push(name);
    }
    return t.type;
  };
  const vec = (name: string, n: number) => w.addTensor(name, [n], GgmlType.F32);
  const mat = (name: string, rows: number, cols: number) => w.addTensor(name, [cols, rows], matrixType(name, cols));
  mat('token_embd.weight', V, width);
  for (let i = 0; i < L; i++) {
    const p = `blk.${i}`;
    vec(`${p}.attn_norm.weight`, width);
    mat(`${p}.attn_q.weight`, H * hd, width);
    mat(`${p}.attn_k.weight`, KV * hd, width);
    mat(`${p}.attn_v.weight`, KV * hd, width);
    mat(`${p}.attn_output.weight`, width, H * hd);
    vec(`${p}.ffn_norm.weight`, width);
    mat(`${p}.ffn_gate.weight`, F, width);
    mat(`${p}.ffn_up.weight`, F, width);
    mat(`${p}.ffn_down.weight`, width, F);
  }
  vec('output_norm.weight', width);
  mat('output.weight', V, width);
  if (f16Fallback.length) ctx.log(`GGUF ${dtype}: ${f16Fallback.length} tensors have rows that are not a multiple of 32 and stay F16 (${f16Fallback.slice(0, 3).join(', ')}${f16Fallback.length > 3 ? ', …' : ''})`);
  const kRefusal = kquantRefusal(dtype, w.tensors, { width, sliced, intermediate: F, headsWidth: H * hd });
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
