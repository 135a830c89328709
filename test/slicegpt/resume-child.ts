// Child process for resume.test.ts: slices a shared model, printing one line per progress event so the parent
// can SIGKILL it at a chosen point. argv: model out resume(0|1) ratio [engine: host (default) | device]
import { sliceModel } from '../../core/slicegpt/slice-model';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { modelPath, sliceOptions } from './helpers';

const [name, out, resume, ratio, engine] = process.argv.slice(2);
const folder = modelPath(name);
const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 4, seqlen: 128, sampling: 'first', seed: 0 });
const ctx = {
  signal: new AbortController().signal,
  progress: (p: { phase: string; layer?: number }) => process.stdout.write(`progress ${p.phase} ${p.layer ?? '-'}\n`),
  log: (m: string) => process.stdout.write(`log ${m}\n`),
};
const r = await sliceModel(ctx, sliceOptions(folder, out, { ratio: Number(ratio), resume: resume === '1', calibration, batchSize: 2, ...(engine === 'device' ? { engine: 'device' as const } : {}) }));
process.stdout.write(`done ${r.resumedAt}\n`);
