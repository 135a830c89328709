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
import { openAnyModel } from '../../slicegpt/open';
import type { ModelSource } from '../../model/model-source';
import type { LayerWeights, Linear, NormSpec } from '../../model/weights';
import { FileType, GGML_QUANT_VERSION, GgmlType, type GgufDtype } from './constants';
import { GgufDiskSpaceError, GgufExportError, GgufUnsupportedError } from './errors';
import { GgufWriter, type TensorInfo } from './writer';
import { encodeTensor } from './quantize';
import { compensatedEps, compensatedNormWeight, permuteRopeRows } from './llama';
import { tokenizerMetadata, writeTokenizer } from './tokenizer';
import { modelfileText } from './modelfile';
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
  seconds: number;
}

const DTYPES: Record<GgufDtype, FileType> = { f32: FileType.ALL_F32, f16: FileType.MOSTLY_F16, q8_0: FileType.MOSTLY_Q8_0, q4_0: FileType.MOSTLY_Q4_0 };

/** Read the uniform width of a sliced folder, or explain why it cannot go to GGUF. */
function uniformWidth(src: SlicedModelSource): number {
  const s = src.slicing as Record<string, unknown>;
  const dims = ['embedding_dimensions', 'attention_input_dimensions', 'attention_output_dimensions', 'mlp_input_dimensions', 'mlp_output_dimensions']
    .flatMap((k) => Object.values((s[k] ?? {}) as Record<string, number>));
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
  if (cfg.family !== 'llama' && cfg.family !== 'mistral')
    throw new GgufUnsupportedError(`GGUF export supports the llama family (llama, mistral); ${o.model} is ${cfg.family}`);
  if (cfg.attentionBias || cfg.attentionOutBias || cfg.mlpBias) throw new GgufUnsupportedError('GGUF export of llama models with attention or MLP biases is not supported');
  if (!cfg.rope) throw new GgufUnsupportedError('GGUF export needs a rotary-embedding model');
  const ropeType = cfg.rope.type;
  if (ropeType !== 'default' && ropeType !== 'linear') throw new GgufUnsupportedError(`GGUF export does not support rope scaling ${JSON.stringify(ropeType.slice(0, 40))} yet`);
  if (cfg.rope.rotaryDim !== cfg.headDim) throw new GgufUnsupportedError('GGUF export needs rotary embeddings over the whole head');
  const sliced = isSlicedModelFolder(o.model);
  const D = cfg.hiddenSize;
  const width = sliced ? uniformWidth(src as SlicedModelSource) : D;
  const quantized = o.dtype === 'q8_0' || o.dtype === 'q4_0';
  if (quantized && width % 32 !== 0)
    throw new GgufExportError(`${o.dtype} needs the residual width to be a multiple of 32, but it is ${width}; slice with --round 32${sliced ? '' : ' (or export f16)'}`);

  const file = resolve(o.out.endsWith('.gguf') ? o.out : join(o.out, `${basename(resolve(o.model))}-${o.dtype}.gguf`));
  assertReplaceable(file);
  mkdirSync(dirname(file), { recursive: true });
  const eps = compensatedEps(cfg.normEps, D, width);
  const H = cfg.numHeads;
  const KV = cfg.numKvHeads;
  const hd = cfg.headDim;
  const F = cfg.intermediateSize;
  const V = cfg.vocabSize;
  const L = cfg.numLayers;

  // Metadata: general.*, llama.*, tokenizer.*, and where it came from.
  const w = new GgufWriter();
  w.string('general.architecture', 'llama');
  w.string('general.name', o.name ?? basename(resolve(o.model)));
  w.uint32('general.file_type', DTYPES[o.dtype]);
  w.uint32('general.quantization_version', GGML_QUANT_VERSION);
  w.uint32('llama.vocab_size', V);
  w.uint32('llama.context_length', cfg.maxPositions);
  w.uint32('llama.embedding_length', width);
  w.uint32('llama.block_count', L);
  w.uint32('llama.feed_forward_length', F);
  w.uint32('llama.rope.dimension_count', cfg.rope.rotaryDim);
  w.float32('llama.rope.freq_base', cfg.rope.theta);
  if (ropeType === 'linear') {
    w.string('llama.rope.scaling.type', 'linear');
    w.float32('llama.rope.scaling.factor', Number((cfg.rope.scaling as Record<string, unknown>)?.factor ?? 1));
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

  // Tensor plan (fixes every offset before any data is read).
  const f16Fallback: string[] = [];
  const matrixType = (name: string, ne0: number): GgmlType => {
    if (o.dtype === 'f32') return GgmlType.F32;
    if (o.dtype === 'f16') return GgmlType.F16;
    if (ne0 % 32 !== 0) {
      f16Fallback.push(name);
      return GgmlType.F16;
    }
    // Like llama.cpp's own Q4_0 files, keep the output projection at 8 bits: it matters most for quality.
    return o.dtype === 'q8_0' || name === 'output.weight' ? GgmlType.Q8_0 : GgmlType.Q4_0;
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
  if (f16Fallback.length) ctx.log(`GGUF ${o.dtype}: ${f16Fallback.length} tensors have rows that are not a multiple of 32 and stay F16 (${f16Fallback.slice(0, 3).join(', ')}${f16Fallback.length > 3 ? ', …' : ''})`);

  const size = w.fileSize();
  // Temporaries of exports that were killed (their process is gone) would otherwise hold the space we need.
  const stale = cleanStaleTemps(dirname(file));
  if (stale.length) ctx.log(`removed ${stale.length} temporary file(s) left by killed exports in ${dirname(file)}`);
  const free = freeBytes(dirname(file));
  // The margin (2 % + 64 MiB) keeps the disk from filling to the last byte while the Modelfile and logs are written.
  const margin = size * 0.02 + (64 << 20);
  if (free !== null && free < size + margin)
    throw new GgufDiskSpaceError(
      `not enough free disk space in ${dirname(file)}: the GGUF needs ${formatBytes(size + margin)} (the file's ${formatBytes(size)} plus a ${formatBytes(margin)} safety margin), ${formatBytes(free)} are free`,
    );

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
    if (attn.shortcut || mlp.shortcut)
      throw new GgufUnsupportedError(`layer ${i} has shortcut matrices (per-layer SliceGPT), which llama.cpp cannot run; slice with --rotation uniform to export GGUF`);
    if (!mlp.gate) throw new GgufUnsupportedError('GGUF export needs a gated (SwiGLU) MLP');
    const p = `blk.${i}`;
    const q = noBias(`${p} q`, attn.q); shape(`${p} q`, q, H * hd, width);
    const k = noBias(`${p} k`, attn.k); shape(`${p} k`, k, KV * hd, width);
    const v = noBias(`${p} v`, attn.v); shape(`${p} v`, v, KV * hd, width);
    const ao = noBias(`${p} o`, attn.o); shape(`${p} o`, ao, width, H * hd);
    const g = noBias(`${p} gate`, mlp.gate); shape(`${p} gate`, g, F, width);
    const u = noBias(`${p} up`, mlp.up); shape(`${p} up`, u, F, width);
    const dn = noBias(`${p} down`, mlp.down); shape(`${p} down`, dn, width, F);
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
      const e = await src.embedding();
      if (e.positions) throw new GgufUnsupportedError('learned position embeddings cannot go to GGUF llama');
      shape('token embedding', e.tokens, V, width);
      return e.tokens.data;
    }
    if (t.name === 'output_norm.weight' || t.name === 'output.weight') {
      const h = await src.head();
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

  const modelfile = join(dirname(file), 'Modelfile');
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
    seconds: (performance.now() - started) / 1000,
  };
}
