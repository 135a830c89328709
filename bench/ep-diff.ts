// `npm run bench -- ep-diff <model-or-sliced-folder> [--a cpu] [--b webgpu] [--windows 4] [--batch 4] [--seq 256]`
// Where two execution providers part on one (dense or sliced) model: the first --windows WikiText-2 test windows,
// embedded on both, then every layer's attention and MLP sub-block run on both EPs from the SAME input (EP a's
// output of the step before, so each row is that step's own error, not an accumulated one), then the head's
// log-sum-exp. Per step: max |a − b|, ‖a − b‖ / ‖a‖, and the element of the largest difference. JSON on stdout.
// Made for #11's tiny-stories deviation on ORT's WebGPU EP (slice it with `npm run cli -- slice … --out DIR`).
import { resolve } from 'node:path';
import { loadTokenizer } from '../core/model/tokenizer';
import { wikitext2 } from '../core/data/wikitext2';
import { createBlockRunner, type OrtRunner } from '../core/runtime/runner';
import type { ExecutionProvider } from '../core/runtime/contract';
import { openAnyModel } from '../core/slicegpt/open';
import { flags } from './lib/flags';

interface StepDiff {
  step: string;
  shape: number[];
  maxAbs: number;
  relNorm: number;
  at: number[];
  a: number;
  b: number;
}

function diff(step: string, a: Float32Array, b: Float32Array, shape: number[]): StepDiff {
  if (a.length !== b.length) throw new Error(`ep-diff: ${step} has ${a.length} values on one EP and ${b.length} on the other`);
  let maxAbs = 0;
  let arg = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxAbs)) ((maxAbs = d), (arg = i));
    num += d * d;
    den += a[i] * a[i];
  }
  const at: number[] = [];
  let r = arg;
  for (let k = shape.length - 1; k >= 0; k--) (at.unshift(r % shape[k]), (r = Math.floor(r / shape[k])));
  return { step, shape, maxAbs, relNorm: Math.sqrt(num / (den || 1)), at, a: a[arg], b: b[arg] };
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const folder = args.find((x, i) => !x.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--')));
  if (!folder) throw new Error('ep-diff: give a model or sliced-model folder');
  const epA = (f.get('a') ?? 'cpu') as ExecutionProvider;
  const epB = (f.get('b') ?? 'webgpu') as ExecutionProvider;
  const windows = Number(f.get('windows') ?? 4);
  const batch = Number(f.get('batch') ?? windows);
  const seq = Number(f.get('seq') ?? 256);
  const src = await openAnyModel(resolve(folder));
  const ids = (await loadTokenizer(resolve(folder))).encodeCorpus((await wikitext2('test')).rows, '\n\n');
  if (ids.length < windows * seq) throw new Error(`ep-diff: ${windows} windows of ${seq} need ${windows * seq} tokens, the corpus has ${ids.length}`);
  const runners: [OrtRunner, OrtRunner] = [await createBlockRunner(src.arch, { ep: epA }), await createBlockRunner(src.arch, { ep: epB })];
  const steps: StepDiff[] = [];
  try {
    const x0 = Int32Array.from(ids.slice(0, batch * seq));
    const emb = await src.embedding();
    const [ea, eb] = await Promise.all(runners.map((r) => r.embed(emb, x0, batch, seq)));
    const width = (x: Float32Array) => x.length / (batch * seq);
    steps.push(diff('embed', ea, eb, [batch, seq, width(ea)]));
    let x = ea;
    for (let l = 0; l < src.config.numLayers; l++) {
      const w = await src.layer(l);
      if (w.kind === 'parallel') {
        const [pa, pb] = [await runners[0].parallel(w.block, x, batch, seq), await runners[1].parallel(w.block, x, batch, seq)];
        steps.push(diff(`layer ${l} parallel`, pa, pb, [batch, seq, width(pa)]));
        x = pa;
        continue;
      }
      const [aa, ab] = [await runners[0].attention(w.attn, x, batch, seq), await runners[1].attention(w.attn, x, batch, seq)];
      steps.push(diff(`layer ${l} attention`, aa, ab, [batch, seq, width(aa)]));
      const [ma, mb] = [await runners[0].mlp(w.mlp, aa, batch, seq), await runners[1].mlp(w.mlp, aa, batch, seq)];
      steps.push(diff(`layer ${l} mlp`, ma, mb, [batch, seq, width(ma)]));
      x = ma;
    }
    const head = await src.head();
    const [ha, hb] = [await runners[0].head(head, x, batch, seq, { logits: true }), await runners[1].head(head, x, batch, seq, { logits: true })];
    steps.push(diff('head logits', ha.logits!, hb.logits!, [batch, seq, src.config.vocabSize]));
    steps.push(diff('head logsumexp', ha.logsumexp!, hb.logsumexp!, [batch, seq]));
  } finally {
    for (const r of runners) await r.dispose();
  }
  for (const s of steps) process.stderr.write(`${s.step.padEnd(22)} max|a-b| ${s.maxAbs.toExponential(2)}  rel ${s.relNorm.toExponential(2)}  at [${s.at}]  ${s.a} vs ${s.b}\n`);
  console.log(JSON.stringify({ folder: resolve(folder), a: epA, b: epB, windows: batch, seq, hiddenSize: src.config.hiddenSize, steps }, null, 2));
}
