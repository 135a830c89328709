// safetensors export: the sliced folder the engine writes (core/slicegpt/output.ts), documented with a
// README.md and copied to --out. Without --dtype the files are copied byte for byte; --dtype f32|f16
// rewrites the weights and shortcut matrices through the engine's own writer. A dense folder is
// already safetensors: there is nothing to export, and saying so is clearer than copying it.
import { copyWritable } from '../files/copy-writable';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { notAModel } from '../model/not-a-model';
import type { JobContext } from '../base/job-context';
import { checkCancelled } from '../base/job-context';
import { isSlicedModelFolder, SlicedModelSource } from '../slicegpt/sliced-source';
import { parseSlicingConfig, type SlicingConfigJson } from '../slicegpt/slicing-config';
import { SlicedModelWriter } from '../slicegpt/output';
import { writeAtomically } from './atomic';
import { ExportError } from './errors';
import { writeManifest } from './model-files';
import type { ExportedFile } from './onnx';
import { slicedReadme } from './sliced-readme';

export interface SafetensorsExportOptions {
  model: string;
  out: string;
  /** Rewrite the weights in this dtype (default: keep the folder's files as they are). */
  dtype?: 'f32' | 'f16';
  overwrite?: boolean;
}

export interface SafetensorsExportResult {
  format: 'safetensors';
  out: string;
  dtype: string;
  files: ExportedFile[];
  bytes: number;
  seconds: number;
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ExportError(`${path} is not valid JSON`);
  }
}

/** Write (or rewrite) README.md in a sliced model folder. */
export function writeSlicedReadme(folder: string, src: SlicedModelSource, name = basename(resolve(folder))): void {
  const slicing = parseSlicingConfig(src.slicing) as SlicingConfigJson;
  const extra = existsSync(join(folder, 'slice_studio.json')) ? readJson(join(folder, 'slice_studio.json')) : {};
  const ratio = typeof extra.ratio === 'number' ? extra.ratio : undefined;
  const dtype = typeof extra.dtype === 'string' ? extra.dtype : undefined;
  writeFileSync(join(folder, 'README.md'), slicedReadme(src.config, slicing, { name, ratio, dtype, tiedEmbedding: src.tiedEmbedding }));
}

export async function exportSafetensors(ctx: JobContext, o: SafetensorsExportOptions): Promise<SafetensorsExportResult> {
  const started = performance.now();
  if (!o.out) throw new ExportError('--out is required');
  if (!existsSync(join(o.model, 'config.json'))) throw new ExportError(notAModel(o.model));
  if (resolve(o.out) === resolve(o.model)) throw new ExportError('--out must not be the model folder');
  if (o.dtype !== undefined && o.dtype !== 'f32' && o.dtype !== 'f16') throw new ExportError(`safetensors export supports --dtype f32 or f16, not ${o.dtype}`);
  if (!isSlicedModelFolder(o.model)) throw new ExportError(`${o.model} is a dense model, already in safetensors; slice it first, or export it with --format onnx or gguf`);
  const src = await SlicedModelSource.create(o.model);
  const files = readdirSync(o.model).filter((f) => !f.startsWith('.') && statSync(join(o.model, f)).isFile());
  const bytes = files.reduce((a, f) => a + statSync(join(o.model, f)).size, 0);
  const name = basename(resolve(o.out));
  const written = await writeAtomically(o.out, { estimateBytes: o.dtype === 'f32' ? bytes * 2 : bytes, overwrite: o.overwrite }, async (tmp) => {
    mkdirSync(tmp);
    if (!o.dtype) {
      files.forEach((f, i) => {
        checkCancelled(ctx);
        copyWritable(join(o.model, f), join(tmp, f));
        ctx.progress({ phase: 'copy', fraction: (i + 1) / files.length, message: f });
      });
    } else {
      const dtype = o.dtype === 'f16' ? 'float16' : 'float32';
      const writer = new SlicedModelWriter(tmp, src.config, dtype);
      const L = src.config.numLayers;
      await writer.writeEmbedding(await src.embedding());
      for (let i = 0; i < L; i++) {
        checkCancelled(ctx);
        await writer.writeLayer(i, await src.layer(i));
        ctx.progress({ phase: 'convert', layer: i, layers: L, fraction: (i + 1) / (L + 1) });
      }
      await writer.writeHead(await src.head());
      const extra = existsSync(join(o.model, 'slice_studio.json')) ? readJson(join(o.model, 'slice_studio.json')) : {};
      await writer.finish(o.model, parseSlicingConfig(src.slicing), { ...extra, dtype });
    }
    writeSlicedReadme(tmp, await SlicedModelSource.create(tmp), name);
    writeManifest(tmp, { format: 'safetensors', dtype: o.dtype ?? 'as sliced', source: o.model, sliced: true });
    return readdirSync(tmp)
      .sort()
      .map((f) => ({ name: f, bytes: statSync(join(tmp, f)).size }));
  });
  ctx.progress({ phase: 'done', fraction: 1 });
  return {
    format: 'safetensors',
    out: resolve(o.out),
    dtype: o.dtype ?? 'as sliced',
    files: written,
    bytes: written.reduce((a, f) => a + f.bytes, 0),
    seconds: (performance.now() - started) / 1000,
  };
}
