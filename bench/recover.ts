// `npm run bench -- recover [flags]` — recovery fine-tuning (issue #16): for each shared model, slice at
// --ratio under the benchmark protocol (calibration = the first 64 windows of 256 tokens of the bundled
// WikiText-2 validation split, round 8, head unsliced, float32 storage), train LoRA on the same bundled
// validation split, merge, and measure WikiText-2 test perplexity (seqlen 256, all windows unless
// --windows N) of the dense, sliced and recovered models, with the share of the sliced–dense gap won back
// and the training tokens/s on this machine's CPU.
//   flags: --models tiny-llama,tiny-opt --ratio 0.25 --rank 32 --alpha 10 --steps 150 --lr 1e-3 --warmup 10
//          --batch 4 --accum 1 --seqlen 256 --decay cosine --data wikitext2|alpaca|<file> --windows N --save <name> (bench/results/<name>.json)
//          --dropout P (LoRA input dropout, PEFT's lora_dropout) --zeroshot N (also the five zero-shot tasks,
//          the eval room's scorer, on the first N documents of each, for the dense, sliced and recovered models)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../core/model/source';
import { loadTokenizer } from '../core/model/tokenizer';
import { wikitext2 } from '../core/data/wikitext2';
import { perplexityOfIds } from '../core/runtime/perplexity';
import { createBlockRunner } from '../core/runtime/runner';
import type { JobContext } from '../core/base/job-context';
import { sliceModel } from '../core/slicegpt/slice-model';
import { openAnyModel } from '../core/slicegpt/open';
import { recoverModel } from '../core/recover/train';
import type { LrDecay } from '../core/recover/schedule';
import { evaluate } from '../core/eval/evaluate';
import { flags } from './lib/flags';
import { SHARED_MODELS, REPO_ROOT } from '../test/shared';

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const models = (f.get('models') ?? 'tiny-llama,tiny-opt').split(',');
  const ratio = Number(f.get('ratio') ?? 0.25);
  const num = (k: string, d: number) => Number(f.get(k) ?? d);
  const maxWindows = f.has('windows') ? Number(f.get('windows')) : undefined;
  const data = f.get('data') ?? 'wikitext2';
  const train = {
    rank: num('rank', 32),
    alpha: num('alpha', 10),
    steps: num('steps', 150),
    lr: num('lr', 1e-3),
    warmup: num('warmup', 10),
    decay: (f.get('decay') ?? 'cosine') as LrDecay,
    batch: num('batch', 4),
    accum: num('accum', 1),
    seqlen: num('seqlen', 256),
    clip: 1,
    weightDecay: 0,
    seed: num('seed', 42),
    dropout: num('dropout', 0),
  };
  const zeroshot = f.has('zeroshot') ? Number(f.get('zeroshot')) : undefined;
  const rows = (await wikitext2('test')).rows;
  const report: Record<string, unknown> = {
    protocol: {
      slice: { ratio, calibration: 'wikitext2 validation (bundled), first 64 × 256', round: 8, sliceHead: false, storage: 'float32' },
      training: {
        data: data === 'wikitext2' ? 'wikitext2 validation (bundled, tokenized release), consecutive windows' : data === 'alpaca' ? 'alpaca 5k (bundled), one padded example per record' : data,
        ...train,
        optimizer: 'AdamW (0.9, 0.999, 1e-8)',
        clipNorm: 1,
        targets: 'q,k,v,o,gate,up,down (all linears; no shortcut matrices)',
      },
      ppl: { dataset: 'wikitext2 test', seqlen: 256, windows: maxWindows ?? 'all' },
      ...(zeroshot ? { zeroshot: { tasks: "piqa, winogrande, hellaswag, arc_easy, arc_challenge (lm-eval 0.4 encoding; the paper's metric per task)", documentsPerTask: zeroshot } } : {}),
      ep: 'cpu',
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'} (shared with other jobs)`,
    },
    models: {},
  };
  const log = (m: string) => process.stderr.write(`${m}\n`);
  for (const name of models) {
    const folder = join(SHARED_MODELS, name);
    const ids = (await loadTokenizer(folder)).encodeCorpus(rows, '\n\n');
    const dense = await openModel(folder);
    const runner = await createBlockRunner(dense.arch, { ep: 'cpu' });
    const dir = mkdtempSync(join(tmpdir(), `bench-recover-${name}-`));
    try {
      const ppl = async (src: Awaited<ReturnType<typeof openAnyModel>>) => (await perplexityOfIds(src, runner, ids, { seqLen: 256, maxWindows, batch: 16 })).ppl;
      const denseP = await ppl(dense);
      const quietEval: JobContext = { signal: new AbortController().signal, progress: () => {}, log: () => {} };
      const accuracies = async (model: string) => {
        if (!zeroshot) return undefined;
        const e = await evaluate(quietEval, { model, limit: zeroshot, ep: 'cpu' });
        log(`${name} ${model}: zero-shot average ${e.average.toFixed(4)}`);
        return { average: e.average, ...Object.fromEntries(e.tasks.map((t) => [t.task, { metric: t.primaryMetric, value: t.primaryMetric === 'acc' ? t.acc : t.accNorm, stderr: t.primaryMetric === 'acc' ? t.accStderr : t.accNormStderr, n: t.n }])) };
      };
      const denseZ = await accuracies(folder);
      const sliced = join(dir, 'sliced');
      const quiet: JobContext = { signal: new AbortController().signal, progress: () => {}, log };
      const s = await sliceModel(quiet, { model: folder, ratio, cal: 'wikitext2', nsamples: 64, seqlen: 256, sampling: 'first', seed: 0, round: 8, sliceHead: false, out: sliced, ep: 'cpu', resume: false, dtype: 'float32' });
      const slicedP = await ppl(await openAnyModel(sliced));
      log(`${name}: dense ${denseP.toFixed(3)} sliced ${slicedP.toFixed(3)} (d ${s.d})`);
      const slicedZ = await accuracies(sliced);
      const rank = Math.min(train.rank, s.d);
      const ctx: JobContext = { ...quiet, progress: (p) => p.phase === 'train' && (p.data?.step as number) % 10 === 0 && log(`${name} ${p.message}`) };
      const r = await recoverModel(ctx, { model: sliced, data, out: join(dir, 'recovered'), ...train, rank, checkpointEvery: train.steps });
      const recP = await ppl(await openAnyModel(r.out));
      const gapWon = (slicedP - recP) / (slicedP - denseP);
      const recoveredZ = await accuracies(r.out);
      log(`${name}: recovered ${recP.toFixed(3)}: ${(100 * gapWon).toFixed(1)} % of the gap; ${r.tokensPerSecond.toFixed(0)} training tokens/s`);
      (report.models as Record<string, unknown>)[name] = {
        d: s.d,
        rank,
        dense: denseP,
        sliced: slicedP,
        recovered: recP,
        gapWonBack: gapWon,
        target: 0.3,
        pass: gapWon >= 0.3,
        trainableParams: r.trainableParams,
        trainTokens: r.trainTokens,
        trainSeconds: +r.seconds.toFixed(1),
        trainTokensPerSecond: +r.tokensPerSecond.toFixed(1),
        firstLoss: r.firstLoss,
        finalLoss: r.finalLoss,
        ...(zeroshot ? { zeroshot: { dense: denseZ, sliced: slicedZ, recovered: recoveredZ } } : {}),
        lossEvery10: r.curve.filter((p) => p.step % 10 === 0).map((p) => +p.loss.toFixed(4)),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await runner.dispose();
    }
  }
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  if (f.has('save')) writeFileSync(join(REPO_ROOT, 'bench', 'results', `${f.get('save')}.json`), `${json}\n`);
}
