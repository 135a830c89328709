// `npm run bench -- pipeline --config <config.json> [flags]` — the whole product at a real model's shape, in
// sequence, from a synthetic bf16 sharded folder: synth → inspect → plan → slice (per-layer SliceGPT) →
// ppl (first windows) → export ONNX f16 → slice uniform → export GGUF Q8_0 → verify the GGUF in llama.cpp.
// Per phase: wall seconds, peak RSS (exact per phase on Linux), peak GPU memory (nvidia-smi, when present),
// bytes written; plus the planner's prediction for the slice next to what it measured. JSON on stdout, and
// into bench/results/<--save name>.json with --save.
//
// Flags (defaults = the issue's 7B run):
//   --config FILE        published config.json (default ../shared/data/configs/llama-2-7b-hf.json)
//   --model DIR          use this folder instead of synthesizing one (skips synth)
//   --layers N           synthesize only the first N layers
//   --nsamples 128 --seqlen 2048   calibration;  --ratio 0.25;  --ep cpu|webgpu (default webgpu)
//   --ppl-windows 32 --ppl-seqlen (default --seqlen);  --verify-windows 4
//   --uniform-round 32   d of the uniform slice is a multiple of this (Q8_0 needs 32)
//   --shard-gb 5 --seed 0 --tokenizer DIR
//   --skip a,b           phases to skip (synth inspect plan slice ppl onnx uniform gguf verify)
//   --work DIR           where outputs go (default: a fresh folder under test-output/); --keep keeps them
//   --label TEXT         recorded with the results (say where it ran: "h100", "tiny config, CPU, 2 cores")
//   --save NAME          also write bench/results/NAME.json
import { availableParallelism, cpus, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobContext } from '../core/base/job-context';
import type { ExecutionProvider } from '../core/runtime/contract';
import { synthModel } from '../core/synth/synth';
import { inspectModel } from '../core/model/inspect';
import { plan, predictSlice, readPlanConfig } from '../core/plan/index';
import { sliceModel } from '../core/slicegpt/slice-model';
import { openAnyModel } from '../core/slicegpt/open';
import { perplexity } from '../core/runtime/perplexity';
import { exportModel } from '../core/export/index';
import { verifyExport } from '../core/export/verify';
import { flags } from './lib/flags';
import { hasNvidiaSmi, measurePhase, type PhaseRecord } from './lib/phase-meter';
import { sharedData } from '../test/shared';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PHASES = ['synth', 'inspect', 'plan', 'slice', 'ppl', 'onnx', 'uniform', 'gguf', 'verify'] as const;

const ctxFor = (phase: string): JobContext => {
  let last = 0;
  return {
    signal: new AbortController().signal,
    log: (m) => process.stderr.write(`[${phase}] ${m}\n`),
    progress: (p) => {
      const now = performance.now();
      if (now - last < 5000 && p.phase !== 'done') return; // a line every 5 s is enough in a log
      last = now;
      process.stderr.write(`[${phase}] ${p.phase}${p.layer !== undefined ? ` layer ${p.layer + 1}/${p.layers}` : ''}${p.fraction !== undefined ? ` ${(100 * p.fraction).toFixed(0)}%` : ''}${p.message ? ` ${p.message}` : ''}\n`);
    },
  };
};

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const num = (k: string, d: number) => (f.has(k) ? Number(f.get(k)) : d);
  const config = resolve(f.get('config') ?? sharedData('configs', 'llama-2-7b-hf.json'));
  const nsamples = num('nsamples', 128);
  const seqlen = num('seqlen', 2048);
  const ratio = num('ratio', 0.25);
  const ep = (f.get('ep') ?? 'webgpu') as ExecutionProvider;
  const skip = new Set((f.get('skip') ?? '').split(',').filter(Boolean));
  for (const s of skip) if (!(PHASES as readonly string[]).includes(s)) throw new Error(`--skip: unknown phase "${s}" (phases: ${PHASES.join(', ')})`);
  mkdirSync(join(root, 'test-output'), { recursive: true });
  const work = f.has('work') ? resolve(f.get('work')!) : mkdtempSync(join(root, 'test-output', 'bench-pipeline-'));
  mkdirSync(work, { recursive: true });
  const gpu = hasNvidiaSmi();
  const model = f.has('model') ? resolve(f.get('model')!) : join(work, 'synth');
  const sliced = join(work, 'sliced');
  const uniform = join(work, 'uniform');
  const onnx = join(work, 'onnx-f16');
  const gguf = join(work, 'uniform-q8_0.gguf');
  const phases: PhaseRecord[] = [];
  const run = async (name: (typeof PHASES)[number], fn: Parameters<typeof measurePhase>[3]) => {
    if (skip.has(name)) return;
    process.stderr.write(`[${name}] start\n`);
    const r = await measurePhase(name, work, gpu, fn);
    process.stderr.write(`[${name}] ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / 2 ** 30).toFixed(2)} GiB${r.peakVramBytes !== null ? `, peak VRAM ${(r.peakVramBytes / 2 ** 30).toFixed(2)} GiB` : ''}\n`);
    phases.push(r);
  };
  const t0 = performance.now();
  try {
    if (!f.has('model'))
      await run('synth', async () => {
        const r = await synthModel(ctxFor('synth'), {
          config, out: model, dtype: 'bf16', shardGb: num('shard-gb', 5), seed: num('seed', 0), overwrite: true,
          ...(f.has('layers') ? { layers: num('layers', 0) } : {}), ...(f.has('tokenizer') ? { tokenizer: resolve(f.get('tokenizer')!) } : {}),
        });
        return { outputs: { model }, result: { params: r.params, layers: r.layers, shards: r.shards, paramsPerSecond: Math.round(r.paramsPerSecond) } };
      });
    await run('inspect', async () => {
      const i = await inspectModel(model);
      return { result: { parameterCount: i.parameterCount, dtypes: i.dtypes } };
    });
    let predicted: ReturnType<typeof predictSlice> | null = null;
    await run('plan', async () => {
      const c = await readPlanConfig(model);
      const p = plan(c, { gpus: [], ramFreeBytes: totalmem() });
      predicted = predictSlice(c, { ratio, nsamples, seqlen, ep, cores: availableParallelism() });
      return { result: { plannedRatio: p.ratio, predicted } };
    });
    await run('slice', async () => {
      const s = await sliceModel(ctxFor('slice'), { model, ratio, cal: 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0, round: 8, sliceHead: false, out: sliced, ep, resume: false });
      const perLayer = s.timings.filter((t) => t.layer >= 0);
      const mean = (k: 'load' | 'signals' | 'pca' | 'rotate') => +(perLayer.reduce((a, t) => a + (t[k] ?? 0), 0) / Math.max(1, perLayer.length)).toFixed(3);
      return { outputs: { sliced }, result: { d: s.d, layers: perLayer.length, meanSecondsPerLayer: { load: mean('load'), signals: mean('signals'), pca: mean('pca'), rotate: mean('rotate') }, timings: s.timings, spilledChunks: s.spilledChunks } };
    });
    await run('ppl', async () => {
      const r = await perplexity({ model: await openAnyModel(sliced), ep, maxWindows: num('ppl-windows', 32), seqLen: num('ppl-seqlen', seqlen) }, ctxFor('ppl'));
      return { result: { ppl: r.ppl, windows: r.windows, seqLen: r.seqLen, tokensPerSecond: Math.round(r.tokensPerSecond) } };
    });
    await run('onnx', async () => {
      const r = await exportModel(ctxFor('onnx'), { model: sliced, format: 'onnx', dtype: 'f16', out: onnx, overwrite: true });
      return { outputs: { onnx }, result: { bytes: r.bytes, files: r.files.length } };
    });
    await run('uniform', async () => {
      const s = await sliceModel(ctxFor('uniform'), { model, ratio, cal: 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0, round: num('uniform-round', 32), sliceHead: true, out: uniform, ep, resume: false, rotation: 'uniform' });
      return { outputs: { uniform }, result: { d: s.d } };
    });
    await run('gguf', async () => {
      const r = await exportModel(ctxFor('gguf'), { model: uniform, format: 'gguf', dtype: 'q8_0', out: gguf, overwrite: true });
      return { outputs: { gguf }, result: { bytes: r.bytes } };
    });
    await run('verify', async () => {
      const v = await verifyExport(gguf, { source: uniform, maxWindows: num('verify-windows', 4), seqLen: Math.min(seqlen, 512), maxNewTokens: 16 }, ctxFor('verify'));
      return { result: { runtime: v.runtime, exportPpl: v.export.perplexity.ppl, appPpl: v.inApp?.perplexity.ppl ?? null, comparison: v.comparison ?? null } };
    });
  } finally {
    if (!f.has('keep') && !f.has('work')) rmSync(work, { recursive: true, force: true });
  }
  const freeDisk = (() => {
    try {
      const s = statfsSync(root);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return null;
    }
  })();
  const report = {
    bench: 'pipeline',
    label: f.get('label') ?? null,
    config: config.split(/[\\/]/).pop(),
    layers: f.has('layers') ? num('layers', 0) : 'all',
    nsamples, seqlen, ratio, ep,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), ramBytes: totalmem(), gpu: gpu ? 'nvidia-smi present' : 'none', freeDiskBytesAfter: freeDisk },
    phases,
    totalSeconds: +((performance.now() - t0) / 1000).toFixed(2),
    peakRssBytes: Math.max(...phases.map((p) => p.peakRssBytes)),
    peakVramBytes: gpu ? Math.max(...phases.map((p) => p.peakVramBytes ?? 0)) : null,
    prediction: predictionCheck(phases),
  };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  if (f.has('save')) writeFileSync(join(root, 'bench/results', `${f.get('save')}.json`), `${json}\n`);
}

/** The planner's prediction for the slice beside what the slice phase measured (issue #11's closing note asks for it). */
function predictionCheck(phases: PhaseRecord[]): Record<string, unknown> | null {
  const plan = phases.find((p) => p.phase === 'plan');
  const slice = phases.find((p) => p.phase === 'slice');
  const predicted = plan?.result.predicted as ReturnType<typeof predictSlice> | undefined;
  if (!predicted || !slice) return null;
  const measured = slice.result.meanSecondsPerLayer as { signals: number; pca: number; rotate: number; load: number };
  const ratio = (p: number, m: number) => (m > 0 ? +(p / m).toFixed(3) : null);
  return {
    profile: predicted.profile.id,
    sliceSeconds: { predicted: +predicted.totalSeconds.toFixed(1), measured: slice.seconds, ratio: ratio(predicted.totalSeconds, slice.seconds) },
    perLayer: Object.fromEntries((['load', 'signals', 'pca', 'rotate'] as const).map((k) => [k, { predicted: +predicted.perLayer[k].toFixed(3), measured: measured[k], ratio: ratio(predicted.perLayer[k], measured[k]) }])),
    peakRssBytes: { predicted: Math.round(predicted.peakRamBytes), measured: slice.peakRssBytes, ratio: ratio(predicted.peakRamBytes, slice.peakRssBytes) },
    peakVramBytes: { predicted: predicted.peakVramBytes, measured: slice.peakVramBytes },
    diskBytes: { predictedOutput: predicted.disk.outputBytes, measuredOutput: slice.outputs.sliced ?? null },
  };
}
