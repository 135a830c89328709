// `npm run bench -- uniform [flags]` — SliceGPT with `--rotation uniform` under the benchmark protocol, JSON
// on stdout: for each shared model the dense WikiText-2 test perplexity and, per ratio, d and the uniform
// model's perplexity (plus the kept fraction of the normalised residual energy). Protocol: calibration = the
// first 64 windows of 256 tokens of the bundled WikiText-2 validation split, round 8 (head sliced: uniform
// mode always slices it); perplexity per ../shared/models/README.md (seqlen 256, all test windows unless
// --windows N).
//   flags: --models a,b  --ratios 0.1,0.2  --windows N  --nsamples 64  --seqlen 256  --round 8  --ep cpu
//          --models-dir DIR  --per-layer (also slice per-layer, for the side-by-side comparison)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../core/model/source';
import { loadTokenizer } from '../core/model/tokenizer';
import { wikitext2 } from '../core/data/wikitext2';
import { perplexityOfIds } from '../core/runtime/perplexity';
import { createBlockRunner } from '../core/runtime/runner';
import type { ExecutionProvider } from '../core/runtime/contract';
import { stderrContext } from './lib/stderr-context';
import { sliceUniform } from '../core/slicegpt/uniform';
import { sliceModel } from '../core/slicegpt/slice-model';
import { openAnyModel } from '../core/slicegpt/open';
import { loadCalibration } from '../core/slicegpt/calibration-input';
import { flags } from './lib/flags';
import { SHARED_MODELS } from '../test/shared';

const stderrCtx = () => stderrContext();

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const modelsDir = resolve(f.get('models-dir') ?? SHARED_MODELS);
  const models = (f.get('models') ?? 'tiny-llama,tiny-opt,tiny-phi,tiny-stories').split(',');
  const ratios = (f.get('ratios') ?? '0.1,0.2,0.25,0.3,0.5').split(',').map(Number);
  const nsamples = Number(f.get('nsamples') ?? 64);
  const seqlen = Number(f.get('seqlen') ?? 256);
  const round = Number(f.get('round') ?? 8);
  const maxWindows = f.has('windows') ? Number(f.get('windows')) : undefined;
  const ep = (f.get('ep') ?? 'cpu') as ExecutionProvider;
  const perLayer = f.has('per-layer');
  const rows = (await wikitext2('test')).rows;
  const report: Record<string, unknown> = {
    protocol: { rotation: 'uniform', calibration: 'wikitext2 validation (bundled)', nsamples, seqlen, sampling: 'first', round, sliceHead: true, evalSeqLen: 256, maxWindows: maxWindows ?? 'all', ep },
    models: {},
  };
  for (const name of models) {
    const folder = join(modelsDir, name);
    const ids = (await loadTokenizer(folder)).encodeCorpus(rows, '\n\n');
    const dense = await openModel(folder);
    const runner = await createBlockRunner(dense.arch, { ep });
    const denseR = await perplexityOfIds(dense, runner, ids, { seqLen: 256, maxWindows, batch: 16 });
    const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0 });
    const dir = mkdtempSync(join(tmpdir(), `bench-uniform-${name}-`));
    const points = [];
    try {
      for (const ratio of ratios) {
        // float32 folders (compute precision): uniform-protocol.json measures the algorithm, not storage.
        const common = { model: folder, ratio, cal: 'wikitext2', nsamples, seqlen, sampling: 'first' as const, seed: 0, round, ep, calibration, dtype: 'float32' as const };
        const out = join(dir, `u-${ratio}`);
        const s = await sliceUniform(stderrCtx(), { ...common, out });
        const r = await perplexityOfIds(await openAnyModel(out), runner, ids, { seqLen: 256, maxWindows, batch: 16 });
        const point: Record<string, unknown> = {
          ratio,
          d: s.d,
          ppl: +r.ppl.toFixed(4),
          explainedVariance: +s.uniform.explainedVariance.toFixed(5),
          minSignalExplainedVariance: +Math.min(...s.stats.map((x) => x.explainedVariance)).toFixed(5),
          sliceSeconds: +s.seconds.toFixed(2),
          pplSeconds: +r.seconds.toFixed(2),
        };
        rmSync(out, { recursive: true, force: true });
        if (perLayer) {
          const outP = join(dir, `p-${ratio}`);
          const p = await sliceModel(stderrCtx(), { ...common, out: outP, sliceHead: false, resume: false });
          point.perLayer = { d: p.d, ppl: +(await perplexityOfIds(await openAnyModel(outP), runner, ids, { seqLen: 256, maxWindows, batch: 16 })).ppl.toFixed(4) };
          rmSync(outP, { recursive: true, force: true });
        }
        points.push(point);
        process.stderr.write(`${name} ratio ${ratio}: d ${s.d} uniform ppl ${r.ppl.toFixed(3)}${perLayer ? ` per-layer ${JSON.stringify(point.perLayer)}` : ''}\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await runner.dispose();
    }
    (report.models as Record<string, unknown>)[name] = { hiddenSize: dense.config.hiddenSize, dense: +denseR.ppl.toFixed(4), windows: denseR.windows, uniform: points };
  }
  console.log(JSON.stringify(report, null, 2));
}
