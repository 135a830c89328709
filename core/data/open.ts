// One string names a dataset everywhere (CLI flags, the UI, job parameters); datasets.ts says which strings
// there are. Opening one:
//   'wikitext2'            WikiText-2 validation (calibration); 'wikitext2:test' the test split
//   'alpaca'               the bundled Alpaca subset, Alpaca-formatted
//   'hub:<id>[:<config>]:<split>'  a Hugging Face Hub split (downloaded once, cached; online only)
//   anything else          a local .txt / .jsonl / .json file (see local.ts)
import { alpaca } from './alpaca';
import type { TextDataset } from './dataset';
import { datasetSpec } from './datasets';
import { hubDataset, type HubOptions } from './hub';
import { localDataset, type LocalDatasetOptions } from './local';
import { wikitext2 } from './wikitext2';

export interface OpenDatasetOptions extends LocalDatasetOptions {
  hub?: HubOptions;
  /** Hub only: at most this many rows. */
  maxRows?: number;
}

export async function openDataset(spec: string, opts: OpenDatasetOptions = {}): Promise<TextDataset> {
  const d = datasetSpec(spec);
  if (d.kind === 'hub') return hubDataset({ dataset: d.dataset, config: d.config, split: d.split, maxRows: opts.maxRows }, opts.hub);
  if (d.kind === 'file') return localDataset(d.path, opts);
  if (d.id === 'alpaca') return alpaca();
  return wikitext2(d.split === 'test' ? 'test' : 'validation');
}
