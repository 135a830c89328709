// Open either kind of model folder: dense Hugging Face or sliced (recognized by slicing_config.json).
// core/model/source.ts's openModel opens dense folders only; this is the dispatching entry point until it does.
import { isSlicedModelFolder, SlicedModelSource } from './sliced-source';
import { openModel } from '../model/source';
import type { ModelSource } from '../model/model-source';

export async function openAnyModel(folder: string): Promise<ModelSource> {
  return isSlicedModelFolder(folder) ? SlicedModelSource.create(folder) : openModel(folder);
}
