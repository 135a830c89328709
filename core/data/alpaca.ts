// Stanford Alpaca (tatsu-lab, CC BY-NC 4.0) records formatted with the prompt template of tatsu-lab's
// repository (train.py PROMPT_DICT). A record's document is what the Hub's tatsu-lab/alpaca `text`
// column holds and what the reference SliceGPT implementation calibrates on: prompt + "\n" + output.
// The bundled file is a 5,000-record random subset of the 52,002 records (alpaca_5000.json).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resourcePath } from '../base/paths';
import { DatasetError, type TextDataset } from './dataset';

export interface AlpacaRecord {
  instruction: string;
  input?: string;
  output: string;
}

const PROMPT_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. ' + 'Write a response that appropriately completes the request.\n\n' + '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:';
const PROMPT_NO_INPUT = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' + '### Instruction:\n{instruction}\n\n### Response:';

/** The prompt: the "with input" template when the record has a non-empty input, else "no input". */
export function alpacaPrompt(r: AlpacaRecord): string {
  // Replacer functions, so that "$&" and friends in the data are not read as patterns.
  return r.input ? PROMPT_INPUT.replace('{instruction}', () => r.instruction).replace('{input}', () => r.input as string) : PROMPT_NO_INPUT.replace('{instruction}', () => r.instruction);
}

/** One document: prompt, newline, response (the Hub dataset's `text` column). */
export function alpacaText(r: AlpacaRecord): string {
  return `${alpacaPrompt(r)}\n${r.output}`;
}

export function isAlpacaRecord(x: unknown): x is AlpacaRecord {
  if (!x || typeof x !== 'object') return false;
  const r = x as Record<string, unknown>;
  return typeof r.instruction === 'string' && typeof r.output === 'string' && (r.input === undefined || typeof r.input === 'string');
}

export function alpacaPath(): string {
  return resourcePath('data', 'alpaca', 'alpaca_5000.json');
}

/** Reads an Alpaca JSON array (alpaca_data.json layout) into formatted documents. */
export async function alpaca(path = alpacaPath()): Promise<TextDataset> {
  if (!existsSync(path)) throw new DatasetError(`Alpaca file not found: ${path}`);
  let records: unknown;
  try {
    records = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(records)) throw new DatasetError(`${path}: expected a JSON array of {instruction, input, output} records`);
  const rows = records.map((r, i) => {
    if (!isAlpacaRecord(r)) throw new DatasetError(`${path}: record ${i} lacks string "instruction" and "output" fields`);
    return alpacaText(r);
  });
  return { name: 'alpaca', rows };
}
