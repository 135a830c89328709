// ONNX export: one decoder graph with a KV cache per model, dense or sliced, loadable by a plain
// onnxruntime InferenceSession, onnxruntime-genai and Optimum-style loaders.
//
// Interface (names as those loaders expect; dims named as Optimum names them):
//   inputs  input_ids [batch, seq] int64, attention_mask [batch, total_seq] int64, position_ids [batch, seq]
//           int64, past_key_values.{i}.key / .value [batch, kv_heads, past_seq, head_dim] float32
//   outputs logits [batch, seq, vocab] float32, present.{i}.key / .value [batch, kv_heads, total_seq, head_dim]
// The first call passes past tensors with past_seq = 0; each next call feeds present.* back as past.
//
// The graph is the runtime's own block graphs inlined into one (see onnx-assembler.ts): a sliced model's
// per-layer widths, rotated weights, D′×D′ shortcut matrices and weightless RMSNorm dividing by the
// original D are exactly what the app runs. Weights live in one external-data file, model.onnx.data.
// --dtype f16 stores weight matrices (not norms, biases or shortcuts) as float16 and computes in float32:
// half the file, the app's accuracy up to float16 rounding of the weights; the KV cache stays float32.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { notAModel } from '../model/not-a-model';
import { checkCancelled, type JobContext } from '../base/job-context';
import { listModelTensors } from '../model/safetensors';
import { isSlicedModelFolder, TIED_TENSORS } from '../slicegpt/sliced-source';
import { openAnyModel } from '../slicegpt/open';
import type { ModelSource } from '../model/model-source';
import { buildGraph } from '../runtime/graphs/index';
import { ropeTables } from '../runtime/rope';
import { writeAtomically } from './atomic';
import { attentionBlock, embedBlock, headBlock, mlpBlock, parallelBlock, type Block } from './block-weights';
import { ExportError } from './errors';
import { genaiConfig } from './genai-config';
import { copyModelFiles, ONNX_MODEL, writeManifest } from './model-files';
import { DecoderAssembler, type WeightDtype } from './onnx-assembler';
import { logitsGraph, positionalGraph } from './onnx-glue';

export { ONNX_MODEL };
export const ONNX_DATA = 'model.onnx.data';

export interface OnnxExportOptions {
  /** Dense Hugging Face folder or sliced model folder. */
  model: string;
  /** Output folder (created; must not exist unless `overwrite`). */
  out: string;
  dtype?: WeightDtype;
  overwrite?: boolean;
}

export interface ExportedFile {
  name: string;
  bytes: number;
}

export interface OnnxExportResult {
  format: 'onnx';
  out: string;
  dtype: WeightDtype;
  sliced: boolean;
  layers: number;
  files: ExportedFile[];
  bytes: number;
  seconds: number;
}

/** Bytes the export will write, from the source's tensor headers (elements × bytes per weight). */
export async function estimateOnnxBytes(src: ModelSource, dtype: WeightDtype): Promise<number> {
  const tensors = await listModelTensors(src.folder);
  let elements = 0;
  for (const t of tensors) elements += t.shape.reduce((a, d) => a * d, 1);
  const c = src.config;
  // A dense tied head is written as its own copy (a sliced one of format 2 shares the embedding's);
  // RoPE tables are two [maxPositions, r/2] float32 tables.
  if (c.tieWordEmbeddings && !tensors.some((t) => t.name === TIED_TENSORS.embedProjection)) elements += c.vocabSize * c.hiddenSize;
  const rope = c.rope ? c.maxPositions * c.rope.rotaryDim * 4 : 0;
  // float16 leaves shortcuts and vectors in float32: count 10 % extra rather than reading every header twice.
  return Math.ceil(elements * (dtype === 'f16' ? 2.2 : 4) + rope + (1 << 20));
}

async function openSource(model: string): Promise<ModelSource> {
  if (!existsSync(join(model, 'config.json'))) throw new ExportError(notAModel(model));
  return openAnyModel(model);
}

/** Build model.onnx + model.onnx.data for `src` into folder `dir`. */
async function assemble(ctx: JobContext, src: ModelSource, dir: string, dtype: WeightDtype): Promise<void> {
  const { config: cfg, arch } = src;
  const L = cfg.numLayers;
  const { numKvHeads: Hkv, headDim: d } = arch;
  const asm = new DecoderAssembler(join(dir, ONNX_DATA), ONNX_DATA, dtype);
  try {
    asm.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
    asm.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
    asm.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
    const kv = ['batch_size', Hkv, 'past_sequence_length', d];
    for (let i = 0; i < L; i++) {
      asm.input(`past_key_values.${i}.key`, 'float32', kv);
      asm.input(`past_key_values.${i}.value`, 'float32', kv);
    }
    asm.output('logits', 'float32', ['batch_size', 'sequence_length', cfg.vocabSize]);
    const present = ['batch_size', Hkv, 'total_sequence_length', d];
    for (let i = 0; i < L; i++) {
      asm.output(`present.${i}.key`, 'float32', present);
      asm.output(`present.${i}.value`, 'float32', present);
    }
    asm.metadata('producer', 'Slice Studio');
    asm.metadata('source', resolve(src.folder));
    asm.metadata('sliced', String(isSlicedModelFolder(src.folder)));
    asm.metadata('weights_dtype', dtype);

    const steps = L + 2;
    const tick = (done: number, layer?: number) => ctx.progress({ phase: 'export', layer, layers: L, fraction: done / steps });

    // Positional inputs, shared by every layer.
    const rope = arch.rope;
    const tables: Record<string, { dims: number[]; data: Float32Array; half: boolean }> = {};
    if (rope) {
      const t = ropeTables(rope.theta, rope.rotaryDim, 0, cfg.maxPositions, rope.llama3);
      tables.cos_table = { dims: [cfg.maxPositions, rope.rotaryDim / 2], data: t.cos, half: false };
      tables.sin_table = { dims: [cfg.maxPositions, rope.rotaryDim / 2], data: t.sin, half: false };
    }
    const pos = asm.inline(positionalGraph(!!rope), 'positional/', { input_ids: 'input_ids', attention_mask: 'attention_mask', position_ids: 'position_ids', past: 'past_key_values.0.key' }, tables);
    const shared: Record<string, string> = { mask: pos.mask, ...(rope ? { cos: pos.cos, sin: pos.sin } : {}) };

    const add = (b: Block, prefix: string, bind: Record<string, string>) => asm.inline(buildGraph(b.sig), prefix, bind, b.weights).y;

    const emb = embedBlock(await src.embedding());
    // A tied embedding stored once (sliced format 2) stays one initializer, read by the embedding and the head.
    const tiedTable = emb.sig.kind === 'embed' && emb.sig.projection ? asm.weight('embed/tokens', emb.weights.tokens) : undefined;
    let x = add(emb, 'embed/', { ids: pos.ids32, ...(emb.sig.kind === 'embed' && emb.sig.positions ? { position_ids: pos.pos32 } : {}), ...(tiedTable ? { tokens: tiedTable } : {}), y: 'embed/out' });
    tick(1);
    for (let i = 0; i < L; i++) {
      checkCancelled(ctx);
      const w = await src.layer(i);
      const cache = {
        past_k: `past_key_values.${i}.key`,
        past_v: `past_key_values.${i}.value`,
        present_k: `present.${i}.key`,
        present_v: `present.${i}.value`,
      };
      if (w.kind === 'parallel') x = add(parallelBlock(arch, w.block), `layers.${i}/`, { x, ...shared, ...cache });
      else {
        x = add(attentionBlock(arch, w.attn), `layers.${i}.attn/`, { x, ...shared, ...cache });
        x = add(mlpBlock(arch, w.mlp), `layers.${i}.mlp/`, { x });
      }
      tick(i + 2, i);
    }
    const head = headBlock(await src.head());
    if (head.sig.kind === 'head' && head.sig.vocab && !tiedTable) throw new ExportError(`${src.folder}: the head is tied to an embedding that is not`);
    const l2d = asm.inline(buildGraph(head.sig), 'head/', { x, ...(tiedTable ? { vocab: tiedTable } : {}) }, head.weights).logits;
    asm.inline(logitsGraph(), 'logits/', { logits2d: l2d, input_ids: 'input_ids', logits: 'logits' });
    writeFileSync(join(dir, ONNX_MODEL), asm.finish(isSlicedModelFolder(src.folder) ? 'slicegpt_decoder' : 'decoder'));
    tick(steps);
  } catch (e) {
    asm.abort();
    throw e;
  }
}

export async function exportOnnx(ctx: JobContext, o: OnnxExportOptions): Promise<OnnxExportResult> {
  const started = performance.now();
  const dtype = o.dtype ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new ExportError(`ONNX export supports --dtype f32 or f16, not ${dtype}`);
  if (!o.out) throw new ExportError('--out is required');
  if (resolve(o.out) === resolve(o.model)) throw new ExportError('--out must not be the model folder');
  ctx.progress({ phase: 'load', fraction: 0, message: `opening ${o.model}` });
  const src = await openSource(o.model);
  const sliced = isSlicedModelFolder(o.model);
  const estimateBytes = await estimateOnnxBytes(src, dtype);
  const files = await writeAtomically(o.out, { estimateBytes, overwrite: o.overwrite }, async (tmp) => {
    mkdirSync(tmp);
    await assemble(ctx, src, tmp, dtype);
    copyModelFiles(o.model, tmp);
    writeFileSync(join(tmp, 'genai_config.json'), JSON.stringify(genaiConfig(src.config, ONNX_MODEL), null, 2));
    writeManifest(tmp, { format: 'onnx', dtype, source: o.model, sliced });
    return readdirSync(tmp)
      .sort()
      .map((name) => ({ name, bytes: statSync(join(tmp, name)).size }));
  });
  ctx.progress({ phase: 'done', fraction: 1 });
  return {
    format: 'onnx',
    out: resolve(o.out),
    dtype,
    sliced,
    layers: src.config.numLayers,
    files,
    bytes: files.reduce((a, f) => a + f.bytes, 0),
    seconds: (performance.now() - started) / 1000,
  };
}
