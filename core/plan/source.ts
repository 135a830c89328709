// The planner's input model: a model folder (its config.json) or a bare config.json, so users can plan
// a 70B model before downloading its weights. The file is read the untrusting way (regular file, size
// limit, JSON errors that quote nothing) and parseConfig bounds every shape before any arithmetic.
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type ModelConfig } from '../model/config';
import { LIMITS, readJsonObject } from '../model/input-file';
import { PlanInputError } from './params';
import { notAModel } from '../model/not-a-model';

export async function readPlanConfig(path: string): Promise<ModelConfig> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, 'config.json');
  } catch {
    throw new PlanInputError(notAModel(path));
  }
  if (!existsSync(file)) throw new PlanInputError(notAModel(path));
  return parseConfig(await readJsonObject(file, LIMITS.config, PlanInputError));
}
