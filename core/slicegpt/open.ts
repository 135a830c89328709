// The one model opener: a dense Hugging Face folder or a sliced model folder (recognized by its
// slicing_config.json), both as a ModelSource. Slicing, evaluation, perplexity, generation, export and
// verification all open models here (in slicegpt/, the room that owns the sliced format).
import { isSlicedModelFolder, SlicedModelSource } from './sliced-source';
import { openModel } from '../model/source';
import type { ModelSource } from '../model/model-source';

export async function openAnyModel(folder: string): Promise<ModelSource> {
  return isSlicedModelFolder(folder) ? SlicedModelSource.create(folder) : openModel(folder);
}
