// How long the app's evaluations take (#14): WikiText-2 perplexity over the whole test set and the five zero-shot
// tasks (PIQA, WinoGrande, HellaSwag, ARC-e, ARC-c), each timed, through the functions the app runs —
// core/runtime/perplexity's perplexity() (the `ppl` job's protocol: windows of --seqlen tokens, 256 by default,
// each scored alone) and core/eval/evaluate's evaluate() (one call per task, one runner for all five, as the
// `eval` job's single call holds one).
//   npm run bench -- eval-speed --model DIR [--ep cpu|webgpu] …
//   npm run bench -- eval-speed --config <published config.json> [--tokenizer DIR] [--layers N] [--work DIR] …
// With --config a random-weight bf16 folder is synthesized (core/synth, as bench/pipeline.ts does) into --work
// (reused by a later run with the same config and layers): its accuracies and perplexity mean nothing and the
// report says so (`timingOnly: true`); the tokenizer is real, so the token counts are the real model's.
// Flags:
//   --ep cpu|webgpu (default cpu)   --dtype f16|f32 (default f16 on a GPU EP, f32 on the CPU; the app's passes use f32)
//   --vram-gb G (the placement's VRAM budget)   --seqlen N (perplexity window, default the protocol's 256)
//   --ppl-windows N (score the first N windows; default all)   --ppl-batch N (windows per block run)   --no-ppl
//   --tasks a,b (default all five)   --limit N (first N items per task; default all)   --chunk-docs N (evaluate's, 64)
//   --data DIR: the folder holding evals/<task>/… and data/wikitext-2-raw/wiki.test.raw (default: the app's
//               resources, or SLICE_STUDIO_RESOURCES) — the device kit unpacks its own copy (bench/device/evals.sh)
//   --json FILE (rewritten after every phase, and every 20 s with the running phase's progress)  --label TEXT
// A limited phase is extrapolated to its whole set (`extrapolated: true`): its measured wall time plus the items
// not done at the rate of the items done after evaluate's first chunk (--chunk-docs, 64: the first chunk carries
// the one-off costs — sessions made, kernels compiled), or of all done items when the limit is one chunk or less
// (an overestimate: `extrapolation.rate` says which). The rate is per request character (context + continuation,
// standing in for tokens, which would cost a full encode: 66 s for HellaSwag on a 2-core box; HellaSwag's first
// items are much shorter than its average); `extrapolatedSecondsByItems` scales by the item count instead.
// Perplexity likewise: the windows not done at the rate of those after the walk's first group (forward.ts windowsPerGroup: 256
// windows of 256 tokens at 7B; the first group also reads and uploads every layer, which later groups reuse where
// the layers are kept), or of the whole run when it was one group (`extrapolation.rate`). Progress goes to stderr;
// the final report to stdout as well.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { JobContext, ProgressUpdate } from '../core/base/job-context';
import { resourcesDir } from '../core/base/paths';
import type { ExecutionProvider } from '../core/runtime/contract';
import type { InferDtype } from '../core/runtime/inference-plan';
import { DEFAULT_PPL_SEQLEN } from '../core/runtime/ppl-protocol';
import { TASK_NAMES, type TaskName } from '../core/eval/tasks/types';
import { flags } from './lib/flags';
import { hasNvidiaSmi, measurePhase, type PhaseRecord } from './lib/phase-meter';
import { stderrContext } from './lib/stderr-context';

const KNOWN = ['model', 'config', 'tokenizer', 'layers', 'work', 'ep', 'dtype', 'vram-gb', 'seqlen', 'ppl-windows', 'ppl-batch', 'no-ppl', 'tasks', 'limit', 'chunk-docs', 'data', 'json', 'label'];

/** The data files the five tasks and WikiText-2 test read, relative to the resources folder (the device kit packs exactly these). */
export const EVAL_DATA_FILES = [
  'evals/piqa/valid.jsonl',
  'evals/piqa/valid-labels.lst',
  'evals/winogrande/dev.jsonl',
  'evals/winogrande/dev-labels.lst',
  'evals/hellaswag/hellaswag_val_full.txt',
  'evals/arc_easy/ARC-Easy-Test.jsonl',
  'evals/arc_challenge/ARC-Challenge-Test.jsonl',
  'data/wikitext-2-raw/wiki.test.raw',
];

/**
 * A limited phase's time for its whole set: the measured wall time plus the units not done (characters of the
 * requests, items, windows) at `rateSeconds` over `rateUnits` — the part of the run that sets the rate. `done` ≥
 * `full` → the measured time.
 */
export function extrapolate(wallSeconds: number, done: number, full: number, rateSeconds: number, rateUnits: number): number {
  if (!(rateUnits > 0) || done >= full) return wallSeconds;
  return wallSeconds + ((full - done) * rateSeconds) / rateUnits;
}

interface TaskTiming {
  task: TaskName;
  items: number;
  itemsFull: number;
  wallSeconds: number;
  itemsPerSecond: number;
  /** Tokens run through the model (unpadded: every request's context + continuation). */
  tokens: number;
  tokensPerSecond: number;
  /** evaluate's own split of the per-item work. */
  encodeSeconds: number;
  scoreSeconds: number;
  /** Characters of the requests (context + continuation) done and in the whole set: the extrapolation's scale. */
  chars: number;
  charsFull: number;
  extrapolated: boolean;
  /** The whole task's time: measured, or extrapolated by characters (see the header). */
  fullSeconds: number;
  extrapolatedSecondsByItems?: number;
  /** What set the rate: the items after the first chunk (`steady`), or all done items (`all`, one chunk or less). */
  extrapolation?: { rate: 'steady' | 'all'; items: number; seconds: number; chars: number };
  acc: number;
  accNorm: number;
  primaryMetric: 'acc' | 'acc_norm';
  overlong: number;
}

const requestChars = (docs: { requests: { context: string; continuation: string }[] }[]) => docs.reduce((s, d) => s + d.requests.reduce((a, r) => a + r.context.length + r.continuation.length, 0), 0);

function gpuName(): string | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() || null : null;
}

const round = (x: number, d = 3) => (Number.isFinite(x) ? +x.toFixed(d) : x);

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  for (const k of f.keys()) if (!KNOWN.includes(k)) throw new Error(`eval-speed: unknown flag --${k} (flags: ${KNOWN.map((x) => `--${x}`).join(' ')})`);
  if (f.has('model') === f.has('config')) throw new Error('eval-speed: give --model DIR or --config <config.json> (one of them)');
  const num = (k: string): number | undefined => {
    if (!f.has(k)) return undefined;
    const n = Number(f.get(k));
    if (!Number.isInteger(n) || n < 1) throw new Error(`eval-speed: --${k} must be a positive integer, got ${f.get(k)}`);
    return n;
  };
  if (f.has('data')) {
    // resourcePath() (task files, WikiText-2) reads SLICE_STUDIO_RESOURCES at each call.
    process.env.SLICE_STUDIO_RESOURCES = resolve(f.get('data')!);
  }
  const ep = (f.get('ep') ?? 'cpu') as ExecutionProvider;
  const dtypeFlag = f.get('dtype')?.replace(/^float/, 'f');
  if (dtypeFlag !== undefined && dtypeFlag !== 'f16' && dtypeFlag !== 'f32') throw new Error(`eval-speed: --dtype f16|f32 (or float16|float32), got ${f.get('dtype')}`);
  // The CPU EP runs host float32 whatever is asked (passRunnerOptions keeps host placement as it is).
  const dtype: InferDtype = ep === 'cpu' ? 'f32' : ((dtypeFlag as InferDtype | undefined) ?? 'f16');
  const vramGb = f.has('vram-gb') ? Number(f.get('vram-gb')) : undefined;
  const seqLen = num('seqlen') ?? DEFAULT_PPL_SEQLEN;
  const pplWindows = num('ppl-windows');
  const limit = num('limit');
  const chunkDocs = num('chunk-docs');
  const layers = num('layers');
  const taskNames = (f.get('tasks') ?? TASK_NAMES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as TaskName[];
  for (const t of taskNames) if (!TASK_NAMES.includes(t)) throw new Error(`eval-speed: unknown task ${t} (tasks: ${TASK_NAMES.join(', ')})`);
  const doPpl = !f.has('no-ppl');
  const data = resourcesDir();
  const needed = EVAL_DATA_FILES.filter((p) => (p.startsWith('data/') ? doPpl : taskNames.some((t) => p.startsWith(`evals/${t}/`))));
  const missing = needed.filter((p) => !existsSync(join(data, p)));
  if (missing.length) throw new Error(`eval-speed: data missing under ${data}: ${missing.join(', ')} (give --data DIR holding evals/ and data/)`);

  const work = resolve(f.get('work') ?? '/tmp/eval-speed');
  mkdirSync(work, { recursive: true });
  const jsonFile = f.has('json') ? resolve(f.get('json')!) : undefined;
  const gpu = hasNvidiaSmi();
  const gpuLabel = gpu ? gpuName() : null;
  const synthesized = f.has('config');

  const phases: PhaseRecord[] = [];
  const tasks: Partial<Record<TaskName, TaskTiming>> = {};
  const errors: { phase: string; error: string }[] = [];
  let ppl: Record<string, unknown> | null = null;
  let running: Record<string, unknown> | null = null;
  const model: Record<string, unknown> = {};
  let plan: unknown = null;
  const t0 = performance.now();
  const startedAt = new Date().toISOString();

  const report = (complete: boolean) => {
    // perplexity + the tasks done, each measured or extrapolated to its whole set
    const full = [...(ppl ? [ppl.fullSeconds as number] : []), ...Object.values(tasks).map((t) => t.fullSeconds)].reduce((a, b) => a + b, 0);
    const measured = phases.reduce((a, p) => a + p.seconds, 0);
    return {
      bench: 'eval-speed',
      label: f.get('label') ?? null,
      timingOnly: synthesized,
      ...(synthesized ? { note: 'random weights (synthesized): perplexity and accuracies are recorded but meaningless; the report is timing-only' } : {}),
      complete,
      startedAt,
      updatedAt: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), ramBytes: totalmem(), gpu: gpuLabel },
      ep,
      dtype,
      plan,
      model,
      data,
      protocol: { ppl: doPpl ? { dataset: 'wikitext2:test', seqLen, windows: pplWindows ?? 'all' } : null, tasks: taskNames, limit: limit ?? null, chunkDocs: chunkDocs ?? 64 },
      running,
      errors,
      ppl,
      tasks,
      totals: {
        wallSeconds: round((performance.now() - t0) / 1000, 2),
        measuredSeconds: round(measured, 2),
        fullSeconds: round(full, 1),
        extrapolated: (ppl?.extrapolated as boolean | undefined) === true || Object.values(tasks).some((t) => t.extrapolated),
        peakRssBytes: Math.max(0, ...phases.map((p) => p.peakRssBytes)),
        peakVramBytes: gpu ? Math.max(0, ...phases.map((p) => p.peakVramBytes ?? 0)) : null,
      },
      phases,
    };
  };
  const save = (complete = false) => {
    if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(report(complete), null, 1)}\n`);
  };

  /** stderr progress, and the running phase's latest progress into the report (saved every 20 s at most). */
  const ctxFor = (phase: string, onProgress?: (p: ProgressUpdate) => void): JobContext => {
    const inner = stderrContext({ label: phase, progressEveryMs: 10_000 });
    const start = performance.now();
    let lastSave = start;
    return {
      signal: inner.signal,
      log: inner.log,
      progress: (p: ProgressUpdate) => {
        onProgress?.(p);
        inner.progress(p);
        const now = performance.now();
        running = { phase, progress: p.phase, fraction: p.fraction ?? null, message: p.message ?? null, elapsedSeconds: round((now - start) / 1000, 1), etaSeconds: p.etaSeconds !== undefined ? Math.round(p.etaSeconds) : null };
        if (now - lastSave > 20_000) {
          lastSave = now;
          save();
        }
      },
    };
  };

  const run = async (name: string, fn: Parameters<typeof measurePhase>[3]): Promise<PhaseRecord | null> => {
    process.stderr.write(`[${name}] start\n`);
    running = { phase: name };
    save();
    try {
      const r = await measurePhase(name, work, gpu, fn);
      phases.push(r);
      process.stderr.write(`[${name}] ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / 2 ** 30).toFixed(2)} GiB${r.peakVramBytes !== null ? `, peak VRAM ${(r.peakVramBytes / 2 ** 30).toFixed(2)} GiB` : ''}\n`);
      return r;
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      errors.push({ phase: name, error });
      process.stderr.write(`[${name}] failed: ${error}\n`);
      return null;
    } finally {
      running = null;
      save();
    }
  };

  // The model: the given folder, or a synthesized one (reused when a run with the same config and layers made it).
  let folder = f.has('model') ? resolve(f.get('model')!) : '';
  if (synthesized) {
    const config = resolve(f.get('config')!);
    folder = join(work, `synth-${basename(config, '.json')}-${layers ?? 'all'}`);
    Object.assign(model, { config, synthesized: true });
    const { synthModel } = await import('../core/synth/synth');
    const reused = existsSync(join(folder, 'config.json'));
    const r = await run('synth', async () => {
      if (reused) return { outputs: { model: folder }, result: { reused: true } };
      const s = await synthModel(ctxFor('synth'), {
        config,
        out: folder,
        dtype: 'bf16',
        overwrite: true,
        ...(layers ? { layers } : {}),
        ...(f.has('tokenizer') ? { tokenizer: resolve(f.get('tokenizer')!) } : {}),
      });
      return { outputs: { model: folder }, result: { params: s.params, layers: s.layers, tokenizerFrom: s.tokenizerFrom, paramsPerSecond: Math.round(s.paramsPerSecond) } };
    });
    if (!r) throw new Error(`eval-speed: synth failed: ${errors.at(-1)?.error}`);
  }
  model.folder = folder;

  const { openAnyModel } = await import('../core/slicegpt/open');
  const { loadTokenizer } = await import('../core/model/tokenizer');
  const { countParameters } = await import('../core/model/param-count');
  const source = await openAnyModel(folder);
  const tokenizer = await loadTokenizer(source.folder);
  const configLayers = synthesized ? Number((JSON.parse(readFileSync(resolve(f.get('config')!), 'utf8')) as Record<string, unknown>).num_hidden_layers ?? NaN) : source.config.numLayers;
  Object.assign(model, { family: source.config.family, layers: source.config.numLayers, configLayers, hiddenSize: source.config.hiddenSize, params: countParameters(source.config), maxPositions: source.config.maxPositions });
  save();

  if (doPpl) {
    const r = await run('ppl', async () => {
      const { perplexity } = await import('../core/runtime/perplexity');
      const { windowsPerGroup } = await import('../core/runtime/forward');
      const t = performance.now();
      // When each fraction of the walk was reached: the first group's end sets the steady rate (below).
      const marks: Array<[number, number]> = [];
      const p = await perplexity(
        { model: source, ep, dtype, seqLen, maxWindows: pplWindows, batch: num('ppl-batch'), vramGb },
        ctxFor('ppl', (u) => {
          if (u.fraction !== undefined) marks.push([u.fraction, performance.now()]);
        }),
      );
      const wall = (performance.now() - t) / 1000;
      const extrapolated = p.windows < p.corpusWindows;
      // The walk goes over groups of windows (forward.ts: 1 GiB of float32 activations a group); the first group
      // also reads and uploads every layer, which the later ones reuse where the layers are kept (keep-weights.ts).
      // With two or more groups the rate after the first is the steady one; with one, the whole run's (an overestimate).
      const perGroup = windowsPerGroup(seqLen, source.config.hiddenSize, num('ppl-batch') ?? 8);
      const groups = Math.ceil(p.windows / perGroup);
      const firstEnd = groups > 1 ? marks.find(([f]) => f >= 1 / groups - 1e-9)?.[1] : undefined;
      const rate = firstEnd !== undefined ? { rate: 'steady' as const, windows: p.windows - perGroup, seconds: (t + wall * 1000 - firstEnd) / 1000 } : { rate: 'all' as const, windows: p.windows, seconds: p.seconds };
      plan = p.plan ?? plan;
      ppl = {
        windows: p.windows,
        corpusWindows: p.corpusWindows,
        seqLen: p.seqLen,
        tokens: p.tokens,
        wallSeconds: round(wall),
        forwardSeconds: round(p.seconds),
        tokensPerSecond: round(p.tokensPerSecond, 1),
        windowsPerSecond: round(p.windows / p.seconds),
        ppl: p.ppl,
        pplStderr: p.pplStderr,
        extrapolated,
        // the windows not done at the rate of those after the first group (or of all: see above)
        fullSeconds: round(extrapolate(wall, p.windows, p.corpusWindows, rate.seconds, rate.windows), 1),
        ...(extrapolated ? { extrapolation: { ...rate, seconds: round(rate.seconds, 6), windowsPerGroup: perGroup } } : {}),
      };
      return { result: { ...ppl } };
    });
    if (!r) ppl = null;
  }

  if (taskNames.length) {
    const { createBlockRunner } = await import('../core/runtime/runner');
    const { passRunnerOptions, planPasses } = await import('../core/runtime/inference-plan');
    const { evaluate } = await import('../core/eval/evaluate');
    const { TASKS } = await import('../core/eval/tasks/index');
    const taskPlan = await planPasses(source.config, { ep, dtype, vramGb });
    plan = taskPlan;
    const runner = await createBlockRunner(source.arch, passRunnerOptions(ep, taskPlan));
    try {
      for (const name of taskNames) {
        const spec = TASKS[name];
        await run(`task:${name}`, async () => {
          const chunk = chunkDocs ?? 64;
          let firstChunkAt: number | null = null;
          const onProgress = (p: ProgressUpdate) => {
            const d = p.data as { done?: number; total?: number } | undefined;
            if (firstChunkAt === null && d?.done !== undefined && d.done >= Math.min(chunk, d.total ?? Infinity)) firstChunkAt = performance.now();
          };
          const t = performance.now();
          const e = await evaluate(ctxFor(name, onProgress), { model: folder, tasks: [name], limit, ep, chunkDocs }, { source, tokenizer, runner });
          const end = performance.now();
          const wall = (end - t) / 1000;
          const m = e.tasks[0];
          // The scale of the per-item work: request characters of the items done and of the whole set (read
          // after the timed part: loading the task file is cheap, HellaSwag's 10,042 items ~0.3 s).
          const all = spec.load();
          const chars = requestChars(all.slice(0, m.n));
          const charsFull = requestChars(all);
          const extrapolated = m.n < all.length;
          const steady = m.n > chunk && firstChunkAt !== null;
          const rate = steady
            ? { rate: 'steady' as const, items: m.n - chunk, seconds: (end - firstChunkAt!) / 1000, chars: requestChars(all.slice(chunk, m.n)) }
            : { rate: 'all' as const, items: m.n, seconds: m.seconds.encode + m.seconds.score, chars };
          const timing: TaskTiming = {
            task: name,
            items: m.n,
            itemsFull: all.length,
            wallSeconds: round(wall),
            itemsPerSecond: round(m.n / wall, 2),
            tokens: m.tokens,
            tokensPerSecond: round(m.tokens / wall, 1),
            encodeSeconds: round(m.seconds.encode),
            scoreSeconds: round(m.seconds.score),
            chars,
            charsFull,
            extrapolated,
            fullSeconds: round(extrapolate(wall, chars, charsFull, rate.seconds, rate.chars), 1),
            ...(extrapolated ? { extrapolatedSecondsByItems: round(extrapolate(wall, m.n, all.length, rate.seconds, rate.items), 1), extrapolation: { ...rate, seconds: round(rate.seconds, 6) } } : {}),
            acc: m.acc,
            accNorm: m.accNorm,
            primaryMetric: m.primaryMetric,
            overlong: m.overlong,
          };
          tasks[name] = timing;
          return { result: { ...timing } };
        });
      }
    } finally {
      await runner.dispose();
    }
  }
  save(true);
  console.log(JSON.stringify(report(true), null, 1));
  if (errors.length) process.exitCode = 1;
}
