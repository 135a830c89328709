// The one model opener: a dense Hugging Face folder or a sliced model folder (recognized by its
// slicing_config.json), both as a ModelSource. Slicing, evaluation, perplexity, generation, export and
// verification all open models here.
import { isSlicedModelFolder, SlicedModelSource } from './sliced-source';
import { openModel } from './source';
import type { ModelSource } from '../runtime/contract';

export async function openAnyModel(folder: string): Promise<ModelSource> {
  return isSlicedModelFolder(folder) ? SlicedModelSource.create(folder) : openModel(folder);
}
