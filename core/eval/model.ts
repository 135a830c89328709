// Opening what the user points the evaluator or the speed bench at: a dense Hugging Face folder or a
// sliced model folder (recognized by its slicing_config.json). Both give a ModelSource; the tokenizer
// files travel with either.
import { isSlicedModelFolder, SlicedModelSource } from '../slicegpt/sliced-source';
import { openModel } from '../model/source';
import type { ModelSource } from '../model/model-source';

export async function openEvalModel(folder: string): Promise<ModelSource> {
  return isSlicedModelFolder(folder) ? SlicedModelSource.create(folder) : openModel(folder);
}
