// `npm run bench -- pipeline --config <config.json> [flags]` — the whole product at a real model's shape, in
// sequence, from a synthetic bf16 sharded folder: synth → inspect → plan → slice (per-layer SliceGPT) →
// ppl (first windows) → export ONNX f16 → slice uniform → export GGUF Q8_0 → verify the GGUF in llama.cpp.
// Per phase: wall seconds, peak RSS (exact per phase on Linux), peak GPU memory (nvidia-smi, when present),
// bytes written, and the work folder's size and the disk's free space after it; plus the planner's
// prediction for the slice next to what it measured. JSON on stdout, and into bench/results/<--save name>.json
// with --save. Intermediates are deleted as soon as no later phase reads them (bench/lib/pipeline-work.ts).
//
// Flags (defaults = the issue's 7B run):
//   --config FILE        published config.json (default ../shared/data/configs/llama-2-7b-hf.json)
//   --model DIR          use this folder instead of synthesizing one (skips synth; never deleted)
//   --layers N           synthesize only the first N layers
//   --nsamples 128 --seqlen 2048   calibration;  --ratio 0.25;  --ep cpu|webgpu (default webgpu)
//   --vram-gb G --ram-gb G          activations kept on the GPU / in RAM before they spill (slice phases)
//   --checkpoint-every S             seconds of work between checkpoints of big layer boundaries (slice phases;
//                                    default the slice's, 120; 0: every layer)
//   --uniform-nsamples N --uniform-seqlen N   a smaller calibration for the uniform slice only
//   --ppl-windows 32 --ppl-seqlen (default --seqlen);  --verify-windows 4 --verify-seqlen 512
//   --uniform-round 32   d of the uniform slice is a multiple of this (Q8_0 needs 32)
//   --shard-gb 5 --seed 0 --tokenizer DIR
//   --skip a,b           phases to skip (synth inspect plan slice ppl onnx uniform gguf verify)
//   --work DIR           where outputs go (default: a fresh folder under test-output/); --keep keeps every output
//   --json FILE          the report so far, rewritten after every phase (a run cut short still leaves its numbers)
//   --from PHASE         start at this phase in an existing --work folder (earlier phases' numbers come from
//                        --json when it exists); --resume continues a slice phase from its checkpoint
//   --label TEXT         recorded with the results (say where it ran: "h100", "tiny config, CPU, 2 cores")
//   --save NAME          also write bench/results/NAME.json
import { availableParallelism, cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stderrContext } from './lib/stderr-context';
import type { ExecutionProvider } from '../core/runtime/contract';
import { synthModel } from '../core/synth/synth';
import { inspectModel } from '../core/model/inspect';
import { plan, predictSlice, readPlanConfig } from '../core/plan/index';
import { sliceModel } from '../core/slicegpt/slice-model';
import { openAnyModel } from '../core/slicegpt/open';
import { sourceDtype } from '../core/slicegpt/output-size';
import { perplexity } from '../core/runtime/perplexity';
import { exportModel } from '../core/export/index';
import { verifyExport } from '../core/export/verify';
import { flags } from './lib/flags';
import { hasNvidiaSmi, measurePhase, type PhaseRecord } from './lib/phase-meter';
import { PHASES, freeBytes, tidyAfter, type Artifact, type DiskPoint, type Phase } from './lib/pipeline-work';
import { sharedData } from '../test/shared';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A line every 5 s is enough in a log. */
const ctxFor = (phase: string) => stderrContext({ label: phase, progressEveryMs: 5000 });

/** Phases and disk points of an earlier run of the same --json file, for a run that continues it with --from. */
function earlier(file: string | undefined, from: Phase): { phases: PhaseRecord[]; disk: DiskPoint[] } {
  if (!file || !existsSync(file)) return { phases: [], disk: [] };
  const before = (p: string) => PHASES.indexOf(p as Phase) < PHASES.indexOf(from);
  const r = JSON.parse(readFileSync(file, 'utf8')) as { phases?: PhaseRecord[]; disk?: DiskPoint[] };
  return { phases: (r.phases ?? []).filter((p) => before(p.phase)), disk: (r.disk ?? []).filter((d) => before(d.after)) };
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const num = (k: string, d: number) => (f.has(k) ? Number(f.get(k)) : d);
  const config = resolve(f.get('config') ?? sharedData('configs', 'llama-2-7b-hf.json'));
  const nsamples = num('nsamples', 128);
  const seqlen = num('seqlen', 2048);
  const ratio = num('ratio', 0.25);
  const ep = (f.get('ep') ?? 'webgpu') as ExecutionProvider;
  const budgets = {
    ...(f.has('vram-gb') ? { deviceBudgetBytes: num('vram-gb', 0) * 2 ** 30 } : {}),
    ...(f.has('ram-gb') ? { ramBudgetBytes: num('ram-gb', 0) * 2 ** 30 } : {}),
    ...(f.has('checkpoint-every') ? { checkpointEvery: num('checkpoint-every', 0) } : {}),
  };
  const uniformCal = { nsamples: num('uniform-nsamples', nsamples), seqlen: num('uniform-seqlen', seqlen) };
  const skip = new Set((f.get('skip') ?? '').split(',').filter(Boolean));
  for (const s of skip) if (!(PHASES as readonly string[]).includes(s)) throw new Error(`--skip: unknown phase "${s}" (phases: ${PHASES.join(', ')})`);
  const from = (f.get('from') ?? PHASES[0]) as Phase;
  if (!PHASES.includes(from)) throw new Error(`--from: unknown phase "${from}" (phases: ${PHASES.join(', ')})`);
  if (f.has('from') && !f.has('work')) throw new Error('--from needs the --work folder of the run it continues');
  const jsonFile = f.has('json') ? resolve(f.get('json')!) : undefined;
  mkdirSync(join(root, 'test-output'), { recursive: true });
  const work = f.has('work') ? resolve(f.get('work')!) : mkdtempSync(join(root, 'test-output', 'bench-pipeline-'));
  mkdirSync(work, { recursive: true });
  const gpu = hasNvidiaSmi();
  const model = f.has('model') ? resolve(f.get('model')!) : join(work, 'synth');
  const paths: Record<Artifact, string> = { model, sliced: join(work, 'sliced'), uniform: join(work, 'uniform'), onnx: join(work, 'onnx-f16'), gguf: join(work, 'uniform-q8_0.gguf') };
  const { sliced, uniform, onnx, gguf } = paths;
  // --keep keeps everything; a --model folder is the user's and never deleted
  const owned = new Set<Artifact>(f.has('keep') ? [] : ['sliced', 'onnx', 'uniform', 'gguf', ...(f.has('model') ? [] : ['model' as const])]);
  const willRun = (p: Phase) => !skip.has(p) && PHASES.indexOf(p) >= PHASES.indexOf(from) && !(p === 'synth' && f.has('model'));
  const prior = earlier(jsonFile, from);
  const phases: PhaseRecord[] = prior.phases;
  const disk: DiskPoint[] = prior.disk;
  const t0 = performance.now();
  let failed: { phase: Phase; error: string } | null = null;

  const report = (complete: boolean) => ({
    bench: 'pipeline',
    label: f.get('label') ?? null,
    complete,
    ...(failed ? { failed } : {}),
    config: config.split(/[\\/]/).pop(),
    layers: f.has('layers') ? num('layers', 0) : 'all',
    nsamples,
    seqlen,
    ratio,
    ep,
    ...(uniformCal.nsamples !== nsamples || uniformCal.seqlen !== seqlen ? { uniformCalibration: uniformCal } : {}),
    ...(f.has('vram-gb') ? { vramGb: num('vram-gb', 0) } : {}),
    ...(f.has('ram-gb') ? { ramGb: num('ram-gb', 0) } : {}),
    ...(f.has('checkpoint-every') ? { checkpointEvery: num('checkpoint-every', 0) } : {}),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), ramBytes: totalmem(), gpu: gpu ? 'nvidia-smi present' : 'none', freeDiskBytesAfter: freeBytes(root) },
    phases,
    disk,
    // this invocation's wall time; a run continued with --from adds the earlier call's phases above
    totalSeconds: +((performance.now() - t0) / 1000).toFixed(2),
    phaseSecondsSum: +phases.reduce((a, p) => a + p.seconds, 0).toFixed(2),
    peakRssBytes: Math.max(0, ...phases.map((p) => p.peakRssBytes)),
    peakVramBytes: gpu ? Math.max(0, ...phases.map((p) => p.peakVramBytes ?? 0)) : null,
    peakWorkBytes: Math.max(0, ...disk.map((d) => d.workBytes)),
    prediction: predictionCheck(phases),
  });
  const writePartial = () => {
    if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(report(false), null, 2)}\n`);
  };

  const run = async (name: Phase, fn: Parameters<typeof measurePhase>[3]) => {
    if (!willRun(name)) return;
    process.stderr.write(`[${name}] start\n`);
    let r: PhaseRecord;
    try {
      r = await measurePhase(name, work, gpu, fn);
    } catch (e) {
      failed = { phase: name, error: e instanceof Error ? e.message : String(e) };
      writePartial();
      throw e;
    }
    process.stderr.write(`[${name}] ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / 2 ** 30).toFixed(2)} GiB${r.peakVramBytes !== null ? `, peak VRAM ${(r.peakVramBytes / 2 ** 30).toFixed(2)} GiB` : ''}\n`);
    phases.push(r);
    const d = tidyAfter(name, work, paths, owned, willRun);
    if (d.deleted.length) process.stderr.write(`[${name}] work folder ${(d.workBytes / 2 ** 30).toFixed(2)} GiB; deleted ${d.deleted.join(', ')} (no later phase reads it)\n`);
    disk.push(d);
    writePartial();
  };
  const sliceTimings = (s: Awaited<ReturnType<typeof sliceModel>>) => {
    const perLayer = s.timings.filter((t) => t.layer >= 0);
    const mean = (k: 'load' | 'signals' | 'pca' | 'rotate') => +(perLayer.reduce((a, t) => a + (t[k] ?? 0), 0) / Math.max(1, perLayer.length)).toFixed(3);
    // Every boundary's wait (layer −1's included); a boundary the cadence skipped waits ~0.
    const checkpoint = s.timings.map((t) => t.checkpoint ?? 0);
    return {
      d: s.d,
      layers: perLayer.length,
      resumedAt: s.resumedAt,
      meanSecondsPerLayer: { load: mean('load'), signals: mean('signals'), pca: mean('pca'), rotate: mean('rotate') },
      checkpoints: { ...s.checkpoints, seconds: +checkpoint.reduce((a, x) => a + x, 0).toFixed(3), maxSeconds: +Math.max(0, ...checkpoint).toFixed(3) },
      timings: s.timings,
      spilledChunks: s.spilledChunks,
    };
  };
  try {
    await run('synth', async () => {
      const r = await synthModel(ctxFor('synth'), {
        config,
        out: model,
        dtype: 'bf16',
        shardGb: num('shard-gb', 5),
        seed: num('seed', 0),
        overwrite: true,
        ...(f.has('layers') ? { layers: num('layers', 0) } : {}),
        ...(f.has('tokenizer') ? { tokenizer: resolve(f.get('tokenizer')!) } : {}),
      });
      return { outputs: { model }, result: { params: r.params, layers: r.layers, shards: r.shards, paramsPerSecond: Math.round(r.paramsPerSecond) } };
    });
    await run('inspect', async () => {
      const i = await inspectModel(model);
      return { result: { parameterCount: i.parameterCount, dtypes: i.dtypes } };
    });
    await run('plan', async () => {
      const c = await readPlanConfig(model);
      const p = plan(c, { gpus: [], ramFreeBytes: totalmem() });
      const predicted = predictSlice(c, { ratio, nsamples, seqlen, ep, cores: availableParallelism(), outputBytesPerWeight: sourceDtype(model) === 'float32' ? 4 : 2, ...budgets });
      return { result: { plannedRatio: p.ratio, predicted } };
    });
    const resume = f.has('resume');
    await run('slice', async () => {
      const s = await sliceModel(ctxFor('slice'), { model, ratio, cal: 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0, round: 8, sliceHead: false, out: sliced, ep, resume: resume && existsSync(sliced), ...budgets });
      return { outputs: { sliced }, result: sliceTimings(s) };
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
      const s = await sliceModel(ctxFor('uniform'), {
        model,
        ratio,
        cal: 'wikitext2',
        ...uniformCal,
        sampling: 'first',
        seed: 0,
        round: num('uniform-round', 32),
        sliceHead: true,
        out: uniform,
        ep,
        resume: resume && existsSync(uniform),
        rotation: 'uniform',
        ...budgets,
      });
      return { outputs: { uniform }, result: { ...sliceTimings(s), calibration: uniformCal } };
    });
    await run('gguf', async () => {
      const r = await exportModel(ctxFor('gguf'), { model: uniform, format: 'gguf', dtype: 'q8_0', out: gguf, overwrite: true });
      return { outputs: { gguf }, result: { bytes: r.bytes } };
    });
    await run('verify', async () => {
      const v = await verifyExport(gguf, { source: uniform, maxWindows: num('verify-windows', 4), seqLen: num('verify-seqlen', Math.min(seqlen, 512)), maxNewTokens: 16, ep }, ctxFor('verify'));
      return { result: { runtime: v.runtime, exportPpl: v.export.perplexity.ppl, appPpl: v.inApp?.perplexity.ppl ?? null, comparison: v.comparison ?? null, verdict: v.verdict ?? null } };
    });
  } finally {
    if (!f.has('keep') && !f.has('work')) rmSync(work, { recursive: true, force: true });
  }
  const json = JSON.stringify(report(true), null, 2);
  console.log(json);
  if (jsonFile) writeFileSync(jsonFile, `${json}\n`);
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
