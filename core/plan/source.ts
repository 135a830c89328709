// The planner's input model: a model folder (its config.json) or a bare config.json, so users can plan
// a 70B model before downloading its weights.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig, type ModelConfig } from '../model/config';
import { PlanInputError } from './params';

export async function readPlanConfig(path: string): Promise<ModelConfig> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, 'config.json');
  } catch {
    throw new PlanInputError(`${path}: no such model folder or config.json`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new PlanInputError(`${path}: the folder has no config.json`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PlanInputError(`${file} is not valid JSON`);
  }
  return parseConfig(raw as Record<string, unknown>);
}
