// The datasets table: the names a dataset spec may use (CLI flags, the UI, job parameters), each with the
// splits it has. A spec is one of these names (`wikitext2`, `wikitext2:test`, `alpaca`), `hub:<id>[:<config>]:<split>`
// (a Hugging Face Hub split), or a local .txt/.jsonl/.json file. open.ts opens a spec; the slice job and the
// calibration step ask `datasetSpec` what a spec is, so a Hub spec is never taken for a file path.
import { DatasetError } from './dataset';

export interface NamedDataset {
  id: string;
  label: string;
  /** Splits it can be opened on, the default first (`<id>:<split>`). */
  splits: readonly string[];
  /** What it is, for the UI. */
  description: string;
}

export const DATASETS = [
  { id: 'wikitext2', label: 'WikiText-2', splits: ['validation', 'test'], description: 'WikiText-2 raw (bundled): validation for calibration, test for perplexity' },
  { id: 'alpaca', label: 'Alpaca', splits: ['train'], description: 'the bundled 5k-row Alpaca subset, in the Alpaca prompt template' },
] as const satisfies readonly NamedDataset[];

export type DatasetId = (typeof DATASETS)[number]['id'];

export type DatasetSpec = { kind: 'named'; id: DatasetId; split: string } | { kind: 'hub'; dataset: string; config?: string; split: string } | { kind: 'file'; path: string };

export const HUB_PREFIX = 'hub:';

/** What a dataset spec names; a malformed Hub spec is a DatasetError. */
export function datasetSpec(spec: string): DatasetSpec {
  const s = spec.trim();
  const [name, split, ...rest] = s.split(':');
  const named = DATASETS.find((d) => d.id === name);
  if (named && rest.length === 0 && (split === undefined || (named.splits as readonly string[]).includes(split))) return { kind: 'named', id: named.id, split: split ?? named.splits[0] };
  if (s.startsWith(HUB_PREFIX)) {
    const parts = s.slice(HUB_PREFIX.length).split(':');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
      throw new DatasetError(`bad Hub dataset "${spec}": use hub:<dataset id>[:<config>]:<split>, e.g. hub:wikitext:wikitext-2-raw-v1:validation`);
    }
    const [dataset, config, hubSplit] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
    return { kind: 'hub', dataset, ...(config !== undefined ? { config } : {}), split: hubSplit };
  }
  return { kind: 'file', path: s };
}
