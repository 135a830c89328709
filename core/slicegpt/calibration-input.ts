// Calibration tokens for a slicing job, through the data room: `wikitext2` (the bundled validation split),
// `alpaca` (the bundled 5k subset, Alpaca prompt template), or a local .txt/.jsonl/.json file; sampling
// `first` (the benchmark protocol) or `random` (the reference's prepare_dataloader), seeded.
import { existsSync } from 'node:fs';
import { loadTokenizer } from '../model/tokenizer';
import { calibrationWindows } from '../data/calibration';
import { wikitext2 } from '../data/wikitext2';
import { alpaca } from '../data/alpaca';
import { localDataset } from '../data/local';
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
  if (cal === 'wikitext2') return wikitext2('validation');
  if (cal === 'alpaca') return alpaca();
  if (existsSync(cal)) return localDataset(cal);
  throw new SliceOptionsError(`calibration data "${cal}" not found: use wikitext2, alpaca or a .txt/.jsonl/.json file`);
}

export async function loadCalibration(modelFolder: string, r: CalibrationRequest): Promise<Calibration> {
  const tokenizer = await loadTokenizer(modelFolder);
  const w = calibrationWindows(tokenizer, await dataset(r.cal), { nsamples: r.nsamples, seqlen: r.seqlen, sampling: r.sampling, seed: r.seed });
  return { ids: w.ids, nsamples: w.nsamples, seqlen: w.seqlen };
}
