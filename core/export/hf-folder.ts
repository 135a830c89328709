// `export --format hf`: a uniform slice as a standard Hugging Face folder — a plain dense model of width d that
// transformers (AutoModelForCausalLM, the family's own …ForCausalLM class), llama.cpp's converter, MLX and vLLM
// load with no SliceGPT code. What changes from the sliced folder:
// - config.json: hidden_size = d, head_dim written explicitly (heads × head_dim stays the original width, which
//   hidden_size // num_attention_heads would no longer give), rms_norm_eps = ε·D/d;
// - the norms: a sliced norm divides by the ORIGINAL width D, a dense one by d; with ε′ = ε·D/d and the weight
//   γ·sqrt(D/d) the two are equal exactly (gguf/llama.ts derives it; GGUF uses the same compensation);
// - tensors under the family's own names (Phi-3's q/k/v and gate/up fused back into qkv_proj, gate_up_proj);
// - a tied embedding stays tied when the slice's embedding and head projections are equal (the final norm has
//   no per-channel weight to fold), else the head is written untied and the result says why.
// Per-layer slices keep shortcut matrices no dense graph has: refused, naming the runtimes that load them.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkCancelled, type JobContext } from '../base/job-context';
import { copyWritable } from '../files/copy-writable';
import { family, type LinearNames } from '../model/families/index';
import { writeSafetensors, type TensorToWrite } from '../model/safetensors-writer';
import type { Linear, Matrix, NormSpec } from '../model/weights';
import { isSlicedModelFolder, SlicedModelSource } from '../slicegpt/sliced-source';
import { untiedEmbedding, untiedHead } from '../slicegpt/tied';
import { writeAtomically } from './atomic';
import { ExportError } from './errors';
import { compensatedEps, compensatedNormWeight } from './gguf/llama';
import { writeManifest } from './model-files';
import { uniformWidth } from './uniform-width';

export interface HfExportOptions {
  model: string;
  out: string;
  dtype?: 'f32' | 'f16';
  overwrite?: boolean;
}

export interface HfExportResult {
  format: 'hf';
  out: string;
  dtype: 'f32' | 'f16';
  /** The transformers class config.json names (the family's own). */
  architecture: string;
  width: number;
  hiddenSize: number;
  tiedEmbeddings: boolean;
  /** Why a tied source was written untied (null when it was not). */
  untied: string | null;
  files: { name: string; bytes: number }[];
  bytes: number;
  seconds: number;
}

const COPIED = /^(tokenizer.*|special_tokens_map\.json|generation_config\.json|vocab\.json|merges\.txt|.*\.model)$/;

/** Rows of the parts, stacked in the order of their row ranges (a fused tensor), or the one part as it is. */
function stack(parts: { names: LinearNames; l: Linear }[]): Linear {
  if (parts.length === 1) return parts[0].l;
  const sorted = [...parts].sort((a, b) => a.names.fused!.start - b.names.fused!.start);
  const cols = sorted[0].l.weight.cols;
  const rows = sorted.reduce((n, p) => n + p.l.weight.rows, 0);
  const data = new Float32Array(rows * cols);
  let at = 0;
  for (const p of sorted) {
    data.set(p.l.weight.data, at);
    at += p.l.weight.data.length;
  }
  const biased = sorted.every((p) => p.l.bias);
  if (!biased && sorted.some((p) => p.l.bias)) throw new ExportError('a fused tensor with a bias on only some of its parts');
  if (!biased) return { weight: { rows, cols, data } };
  const bias = new Float32Array(rows);
  let b = 0;
  for (const p of sorted) {
    bias.set(p.l.bias!, b);
    b += p.l.bias!.length;
  }
  return { weight: { rows, cols, data }, bias };
}

const sameMatrix = (a: Matrix, b: Matrix): boolean => a.rows === b.rows && a.cols === b.cols && a.data.every((x, i) => x === b.data[i]);

export async function exportHfFolder(ctx: JobContext, o: HfExportOptions): Promise<HfExportResult> {
  const started = performance.now();
  if (!o.out) throw new ExportError('--out is required');
  if (resolve(o.out) === resolve(o.model)) throw new ExportError('--out must not be the model folder');
  if (!isSlicedModelFolder(o.model)) throw new ExportError(`${o.model} is a dense model, already a Hugging Face folder; slice it with --rotation uniform first`);
  const src = await SlicedModelSource.create(o.model);
  const cfg = src.config;
  const d = uniformWidth(
    src,
    (widths) =>
      new ExportError(
        `${o.model} was sliced with per-layer rotations (shortcut matrices, widths ${widths}), which no dense Hugging Face model has: it loads in ONNX Runtime (--format onnx) and in this app (--format safetensors); slice the dense model with --rotation uniform for a Hugging Face folder`,
      ),
  );
  if (cfg.norm !== 'rmsnorm') throw new ExportError(`--format hf needs an RMSNorm family (a sliced ${cfg.family} has its LayerNorms folded away, which no dense ${cfg.family} graph can express); export it as ONNX`);
  const spec = family(cfg.family).adapter(cfg);
  if (spec.layer.kind !== 'sequential') throw new ExportError(`--format hf needs sequential blocks; export ${cfg.family} as ONNX`);
  const names = spec.layer;
  const D = cfg.hiddenSize;
  // Qwen3's head norms read rms_norm_eps too: the residual norms then keep ε, not the exact ε·D/d (as in GGUF:
  // a relative difference of ε·(D/d − 1)/(2·mean x²) in their scale).
  const eps = cfg.qkNorm ? cfg.normEps : compensatedEps(cfg.normEps, D, d);
  const dtype = o.dtype ?? 'f32';
  const st = dtype === 'f16' ? 'F16' : 'F32';
  const vec = (name: string, data: Float32Array): TensorToWrite => ({ name, dtype: st, shape: [data.length], data });
  // Norm weights carry the width compensation γ·sqrt(D/d): float16 would round it (≈ 0.1 % perplexity on tiny-llama),
  // so they stay float32 in an f16 folder; transformers casts them to the dtype it loads in.
  const normVec = (name: string, data: Float32Array): TensorToWrite => ({ name, dtype: 'F32', shape: [data.length], data });
  const mat = (name: string, m: Matrix): TensorToWrite => ({ name, dtype: st, shape: [m.rows, m.cols], data: m.data });
  const norm = (what: string, n: NormSpec): Float32Array => {
    if (n.kind !== 'rmsnorm') throw new ExportError(`${what} is not an RMSNorm`);
    const e = cfg.qkNorm ? n.eps : compensatedEps(n.eps, n.divisor, d);
    if (Math.abs(e - eps) > 1e-6 * eps) throw new ExportError(`${what}: its norm needs eps ${e}, the others ${eps} (config.json has one rms_norm_eps)`);
    return compensatedNormWeight(n, d);
  };
  const linears = (i: number, ls: { names: LinearNames; l: Linear }[]): TensorToWrite[] => {
    const byTensor = new Map<string, { names: LinearNames; l: Linear }[]>();
    for (const x of ls) byTensor.set(x.names.p, [...(byTensor.get(x.names.p) ?? []), x]);
    return [...byTensor].flatMap(([p, parts]) => {
      const l = stack(parts);
      const prefix = p.replace('{i}', String(i));
      return l.bias ? [mat(`${prefix}.weight`, l.weight), vec(`${prefix}.bias`, l.bias)] : [mat(`${prefix}.weight`, l.weight)];
    });
  };

  const emb = await src.embedding();
  const head = await src.head();
  if (emb.positions) throw new ExportError('learned position embeddings: export this family as ONNX');
  // Tied storage keeps E once with two D×d projections; they are equal exactly when the final norm's weight
  // was all ones (nothing per-channel was folded into the head), and then one V×d table serves both.
  const tied = cfg.tieWordEmbeddings && emb.projection !== undefined && head.vocab !== undefined && sameMatrix(emb.projection, head.lm.weight);
  const untied = cfg.tieWordEmbeddings && !tied ? "the final norm's weight is folded into the slice's head, so the head's V×d table differs from the embedding's" : null;
  if (untied) ctx.log(`--format hf: lm_head written untied: ${untied}`);

  const config = { ...(cfg.raw as Record<string, unknown>) };
  config.hidden_size = d;
  config.head_dim = cfg.headDim;
  config.rms_norm_eps = eps;
  config.tie_word_embeddings = tied;
  config.torch_dtype = dtype === 'f16' ? 'float16' : 'float32';
  delete config._name_or_path;
  // Remote-code classes (Phi-3's configuration_phi3.py …) are not shipped: transformers' own class loads the folder.
  delete config.auto_map;
  const architecture = Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' ? config.architectures[0] : `${family(cfg.family).architecturePrefix}ForCausalLM`;

  const L = cfg.numLayers;
  const shards = L + 2;
  const shard = (k: number) => `model-${String(k).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
  const estimate = (cfg.vocabSize * d * (tied ? 1 : 2) + L * d * (2 * cfg.numHeads * cfg.headDim + 2 * cfg.numKvHeads * cfg.headDim + 3 * cfg.intermediateSize)) * (dtype === 'f16' ? 2 : 4);
  const files = await writeAtomically(o.out, { estimateBytes: estimate, overwrite: o.overwrite }, async (tmp) => {
    mkdirSync(tmp);
    const weightMap: Record<string, string> = {};
    let total = 0;
    const write = async (k: number, ts: TensorToWrite[]) => {
      for (const t of ts) {
        weightMap[t.name] = shard(k);
        total += t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'F16' ? 2 : 4);
      }
      await writeSafetensors(join(tmp, shard(k)), ts, { format: 'pt' });
    };
    await write(1, [mat(spec.tokens, (await untiedEmbedding(emb)).tokens)]);
    for (let i = 0; i < L; i++) {
      checkCancelled(ctx);
      const w = await src.layer(i);
      if (w.kind !== 'sequential') throw new ExportError('--format hf needs sequential blocks');
      const at = (p: string) => p.replace('{i}', String(i));
      const qk = w.attn.qkNorm;
      if (qk && !(names.qNorm && names.kNorm)) throw new ExportError(`${cfg.family}'s adapter names no q/k head norms`);
      const headNorms = qk && names.qNorm && names.kNorm ? [normVec(`${at(names.qNorm.p)}.weight`, qk.q), normVec(`${at(names.kNorm.p)}.weight`, qk.k)] : [];
      await write(i + 2, [
        normVec(`${at(names.attnNorm.p)}.weight`, norm(`layer ${i} attention norm`, w.attn.norm)),
        ...linears(i, [
          { names: names.q, l: w.attn.q },
          { names: names.k, l: w.attn.k },
          { names: names.v, l: w.attn.v },
        ]),
        ...headNorms,
        ...linears(i, [{ names: names.o, l: w.attn.o }]),
        normVec(`${at(names.mlpNorm.p)}.weight`, norm(`layer ${i} MLP norm`, w.mlp.norm)),
        ...linears(i, [...(names.gate && w.mlp.gate ? [{ names: names.gate, l: w.mlp.gate }] : []), { names: names.up, l: w.mlp.up }]),
        ...linears(i, [{ names: names.down, l: w.mlp.down }]),
      ]);
      ctx.progress({ phase: 'write', layer: i, layers: L, fraction: (i + 1) / (L + 2) });
    }
    const h = await untiedHead(head);
    await write(shards, [normVec(`${spec.finalNorm.p}.weight`, norm('final norm', h.norm)), ...(tied ? [] : linears(0, [{ names: spec.lm, l: h.lm }]))]);
    writeFileSync(join(tmp, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(config, null, 2));
    for (const f of readdirSync(o.model)) if (COPIED.test(f)) copyWritable(join(o.model, f), join(tmp, f));
    writeManifest(tmp, { format: 'hf', dtype, source: o.model, sliced: true });
    return readdirSync(tmp)
      .sort()
      .map((f) => ({ name: f, bytes: statSync(join(tmp, f)).size }));
  });
  ctx.progress({ phase: 'done', fraction: 1 });
  if (!existsSync(o.out)) throw new ExportError(`internal: ${o.out} was not written`);
  return { format: 'hf', out: resolve(o.out), dtype, architecture, width: d, hiddenSize: D, tiedEmbeddings: tied, untied, files, bytes: files.reduce((a, f) => a + f.bytes, 0), seconds: (performance.now() - started) / 1000 };
}
