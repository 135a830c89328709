// Merging trained adapters into the sliced model: W ← W + (α/r)·B·A for every adapted linear (products
// in float64, rounded once to the stored dtype), written as a new sliced model folder in the same format
// (core/model/sliced-source.ts), so every evaluation and export reads it as it reads any slice. The
// adapters are also saved on their own in PEFT's layout (`adapter/adapter_model.safetensors` + config).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SLICING_CONFIG, type SlicedModelSource } from '../slicegpt/sliced-source';
import { writeSafetensors } from '../model/safetensors-writer';
import { SlicedModelWriter, type OutputDtype } from '../slicegpt/output';
import type { SlicingConfigJson } from '../slicegpt/slicing-config';
import type { LayerWeights } from '../model/weights';
import { linearsOf, type LoraAdapter, type LoraSettings } from './lora';
import type { ModelWeights } from './train-graph';
import type { ModelSource } from '../model/model-source';

/** Adds (α/r)·B·A into the linears of `layers` (in place). */
export function mergeInto(layers: Readonly<Record<number, LayerWeights>>, adapters: LoraAdapter[], scale: number): void {
  for (const a of adapters) {
    const l = linearsOf(layers[a.layer])[a.role];
    if (!l) throw new Error(`layer ${a.layer} has no ${a.role} linear to merge into`);
    const r = a.A.length / a.inF;
    const W = l.weight.data;
    const row = new Float64Array(a.inF);
    for (let o = 0; o < a.outF; o++) {
      row.fill(0);
      for (let k = 0; k < r; k++) {
        const b = a.B[o * r + k];
        if (b === 0) continue;
        for (let i = 0; i < a.inF; i++) row[i] += b * a.A[k * a.inF + i];
      }
      for (let i = 0; i < a.inF; i++) W[o * a.inF + i] += scale * row[i];
    }
  }
}

export async function saveAdapters(dir: string, adapters: LoraAdapter[], s: LoraSettings, base: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeSafetensors(
    join(dir, 'adapter_model.safetensors'),
    adapters.flatMap((a) => [
      { name: `base_model.model.${a.key}.lora_A.weight`, dtype: 'F32' as const, shape: [a.A.length / a.inF, a.inF], data: a.A },
      { name: `base_model.model.${a.key}.lora_B.weight`, dtype: 'F32' as const, shape: [a.outF, a.B.length / a.outF], data: a.B },
    ]),
    { format: 'pt' },
  );
  const modules = [...new Set(adapters.map((a) => a.key.split('.').at(-1) as string))];
  const config = { peft_type: 'LORA', r: s.rank, lora_alpha: s.alpha, lora_dropout: s.dropout ?? 0, target_modules: modules, bias: 'none', base_model_name_or_path: base, task_type: 'CAUSAL_LM' };
  await writeFile(join(dir, 'adapter_config.json'), JSON.stringify(config, null, 2));
}

/** The slice's weights as stored (held, or read per block). */
export type StoredWeights = Pick<ModelSource, 'config' | 'embedding' | 'layer' | 'head'>;

export const heldWeights = (m: ModelWeights): StoredWeights => ({ config: m.config, embedding: async () => m.embedding, layer: async (i) => m.layers[i], head: async () => m.head });

/** Merges the adapters into each block as it is written (one block in memory at a time) to `out`, with the
 * configs and tokenizer of the slice. */
export async function writeMergedModel(out: string, src: SlicedModelSource, m: StoredWeights, adapters: LoraAdapter[], scale: number, dtype: OutputDtype, extra: Record<string, unknown>): Promise<void> {
  const w = new SlicedModelWriter(out, m.config, dtype);
  await w.writeEmbedding(await m.embedding());
  for (let i = 0; i < m.config.numLayers; i++) {
    const layer = await m.layer(i);
    mergeInto(
      { [i]: layer },
      adapters.filter((a) => a.layer === i),
      scale,
    );
    await w.writeLayer(i, layer);
  }
  await w.writeHead(await m.head());
  const prior = join(src.folder, 'slice_studio.json');
  const sliceInfo = existsSync(prior) ? (JSON.parse(readFileSync(prior, 'utf8')) as Record<string, unknown>) : {};
  const slicing = JSON.parse(readFileSync(join(src.folder, SLICING_CONFIG), 'utf8')) as SlicingConfigJson;
  await w.finish(src.folder, slicing, { ...sliceInfo, recovered: extra });
}
