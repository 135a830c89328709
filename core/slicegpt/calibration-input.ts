// Calibration tokens for a slicing job, through the data room: any dataset spec (core/data/datasets.ts) —
// `wikitext2` (the bundled validation split), `alpaca`, a `hub:` split, or a local .txt/.jsonl/.json file; sampling
// `first` (the benchmark protocol) or `random` (the reference's prepare_dataloader), seeded.
import { existsSync } from 'node:fs';
import { loadTokenizer } from '../model/tokenizer';
import { calibrationWindows } from '../data/calibration';
import { datasetSpec } from '../data/datasets';
import { openDataset } from '../data/open';
import type { TextDataset } from '../data/dataset';
import { SliceOptionsError } from './errors';
import type { Calibration } from './rotate-and-slice';

export interface CalibrationRequest {
  cal: string;
  nsamples: number;
  seqlen: number;
  sampling: 'first' | 'random';
  seed: number;
}

async function dataset(cal: string): Promise<TextDataset> {
  const spec = datasetSpec(cal);
  if (spec.kind !== 'file' || existsSync(spec.path)) return openDataset(cal);
  throw new SliceOptionsError(`calibration data "${cal}" not found: use wikitext2, alpaca, hub:<dataset id>[:<config>]:<split> or a .txt/.jsonl/.json file`);
}

export async function loadCalibration(modelFolder: string, r: CalibrationRequest): Promise<Calibration> {
  const tokenizer = await loadTokenizer(modelFolder);
  const w = calibrationWindows(tokenizer, await dataset(r.cal), { nsamples: r.nsamples, seqlen: r.seqlen, sampling: r.sampling, seed: r.seed });
  return { ids: w.ids, nsamples: w.nsamples, seqlen: w.seqlen };
}
