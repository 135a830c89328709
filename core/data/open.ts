// One string names a dataset everywhere (CLI flags, the UI, job parameters):
//   'wikitext2'            WikiText-2 validation (calibration); 'wikitext2:test' the test split
//   'alpaca'               the bundled Alpaca subset, Alpaca-formatted
//   'hub:<id>[:<config>]:<split>'  a Hugging Face Hub split (downloaded once, cached; online only)
//   anything else          a local .txt / .jsonl / .json file (see local.ts)
import { alpaca } from './alpaca';
import { DatasetError, type TextDataset } from './dataset';
import { hubDataset, type HubOptions } from './hub';
import { localDataset, type LocalDatasetOptions } from './local';
import { wikitext2 } from './wikitext2';

export interface OpenDatasetOptions extends LocalDatasetOptions {
  hub?: HubOptions;
  /** Hub only: at most this many rows. */
  maxRows?: number;
}

export async function openDataset(spec: string, opts: OpenDatasetOptions = {}): Promise<TextDataset> {
  const s = spec.trim();
  if (s === 'wikitext2' || s === 'wikitext2:validation') return wikitext2('validation');
  if (s === 'wikitext2:test') return wikitext2('test');
  if (s === 'alpaca') return alpaca();
  if (s.startsWith('hub:')) {
    const parts = s.slice(4).split(':');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
      throw new DatasetError(`bad Hub dataset "${spec}": use hub:<dataset id>[:<config>]:<split>, e.g. hub:wikitext:wikitext-2-raw-v1:validation`);
    }
    const [dataset, config, split] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
    return hubDataset({ dataset, config, split, maxRows: opts.maxRows }, opts.hub);
  }
  return localDataset(s, opts);
}
