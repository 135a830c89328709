// The published configs and tiny models live in ../shared beside the repository (CI clones it so).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseConfig, type ModelConfig } from '../../core/model/config';
import { SHARED } from '../shared';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const sharedDir = SHARED;
export const configsDir = join(sharedDir, 'data', 'configs');
export const modelsDir = join(sharedDir, 'models');

export const published = (name: string): ModelConfig => parseConfig(JSON.parse(readFileSync(join(configsDir, `${name}.json`), 'utf8')));
