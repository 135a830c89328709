// `npm run bench -- dc-deflation [flags]` — how much the divide-and-conquer eigensolver's merges deflate on the
// PCA's real inputs, and so how much GEMM work a solve does (issue #11: the pipeline's WGSL PCA ran 4–7× slower than
// the synthetic bench's; could its spectrum make the D&C's products larger?). Per matrix: every merge's size m and
// non-deflated count k (divide-conquer.ts MergeRecord; the WGSL solver runs the same D&C, the same deflation, on
// its float32 reduction's d and e), by merge size, and the GEMM flops of one solve:
//   wgsl       as the WGSL solver does them: merges of ≥ 1024 (deviceMergeMin) and the top one multiply the full
//              m×m on the device whatever deflated; smaller ones on the host, skipped only when uncoupled
//   cpu        as the float64 CPU solver does them (every merge but an uncoupled one)
//   nonDeflatedOnly  if products ran over the k secular columns only (LAPACK dlaed3), ≈ 2·k²·(n1² + n2²)/m
// Sources (all by default; --only a,b):
//   synthetic  the slice bench's random weights (core/slicegpt/synthetic-source.ts) at --config's shape, --layers 1,
//              random token ids: the embedding's moment and layer 0's attention and MLP moments
//   synth      a `synth` folder of the same config (core/synth: the trained-looking channel spectrum, bf16) sliced
//              on its WikiText-2 calibration windows, as the pipeline does: the same three moments
//   random     a random symmetric matrix (bench/lib/matrices.ts) of the config's width
// The moments come from the real per-layer code (rotate-and-slice.ts) on the CPU EP with the device engine's
// float32 passes; each PCA is the float64 eigh with its merges logged. --nsamples 32 --seqlen 512 (16k tokens:
// 4× the 7B width; fewer tokens than the width leave a rank-deficient moment whose null space all deflates).
//   flags: --config llama-2-7b (a ../shared/data/configs name prefix)  --nsamples 32  --seqlen 512  --only a,b  --save NAME
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietContext } from '../core/base/job-context';
import { eigh } from '../core/linalg/eigh';
import type { MergeRecord } from '../core/linalg/divide-conquer';
import { openModel } from '../core/model/source';
import type { ModelSource } from '../core/model/model-source';
import { loadCalibration } from '../core/slicegpt/calibration-input';
import { createSignalEngine } from '../core/slicegpt/engine';
import { rotateAndSlice, type RotationProvider } from '../core/slicegpt/rotate-and-slice';
import { makeSchedule } from '../core/slicegpt/schedule';
import { SyntheticSource } from '../core/slicegpt/synthetic-source';
import { synthModel } from '../core/synth/synth';
import { sharedData } from '../test/shared';
import { flags } from './lib/flags';
import { symmetric } from './lib/matrices';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The WGSL solver's default deviceMergeMin (wgsl-eigh.ts). */
const DEVICE_MERGE_MIN = 1024;

interface Solved {
  source: string;
  signal: string;
  layer: number | null;
  tokens: number | null;
  n: number;
  eighSeconds: number;
  eigenvalues: Float64Array;
  merges: MergeRecord[];
}

/** The damped moment as the PCA decomposes it (pca.ts damped), its eigh with the merges logged. */
async function solve(source: string, signal: string, layer: number | null, tokens: number | null, h: Float64Array, n: number, undamp = 0): Promise<Solved & { vectors: Float64Array }> {
  const merges: MergeRecord[] = [];
  const t0 = performance.now();
  const r = await eigh(h, n, { merges });
  const eigenvalues = r.values.map((v) => v - undamp);
  process.stderr.write(`${source} ${signal}${layer === null ? '' : ` ${layer}`}: n ${n}, eigh ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return { source, signal, layer, tokens, n, eighSeconds: (performance.now() - t0) / 1000, eigenvalues, merges, vectors: r.vectors };
}

function summary(s: Solved) {
  const { n, merges } = s;
  const flop = (mr: MergeRecord) => 2 * mr.m * (mr.n1 * mr.n1 + mr.n2 * mr.n2);
  const gflop = (x: number) => +(x / 1e9).toFixed(2);
  let wgsl = 0;
  let cpu = 0;
  let nonDeflated = 0;
  let secular = 0;
  const bySize: Record<string, { merges: number; kOverM: number; minK: number; maxK: number; uncoupled: number; rotations: number }> = {};
  for (const mr of merges) {
    if (mr.top || mr.m >= DEVICE_MERGE_MIN || !mr.uncoupled) wgsl += flop(mr);
    if (mr.top || !mr.uncoupled) cpu += flop(mr);
    nonDeflated += (2 * mr.k * mr.k * (mr.n1 * mr.n1 + mr.n2 * mr.n2)) / mr.m;
    secular += mr.k * mr.k;
    const b = (bySize[mr.m] ??= { merges: 0, kOverM: 0, minK: Infinity, maxK: 0, uncoupled: 0, rotations: 0 });
    b.merges++;
    b.kOverM += mr.k / mr.m;
    b.minK = Math.min(b.minK, mr.k);
    b.maxK = Math.max(b.maxK, mr.k);
    b.uncoupled += mr.uncoupled ? 1 : 0;
    b.rotations += mr.rotations;
  }
  for (const b of Object.values(bySize)) b.kOverM = +(b.kOverM / b.merges).toFixed(4);
  const ev = s.eigenvalues;
  const top = ev[0];
  const sumM = merges.reduce((a, x) => a + x.m, 0);
  const sumK = merges.reduce((a, x) => a + x.k, 0);
  return {
    source: s.source,
    signal: s.signal,
    layer: s.layer,
    tokens: s.tokens,
    n,
    eighSeconds: +s.eighSeconds.toFixed(1),
    spectrum: {
      top,
      median: ev[n >> 1],
      bottom: ev[n - 1],
      topOverMedian: +(top / ev[n >> 1]).toFixed(2),
      // Directions the calibration did not reach (rank < n): they deflate wholesale.
      belowTopE9: ev.filter((v) => Math.abs(v) < 1e-9 * Math.abs(top)).length,
    },
    merges: merges.length,
    kOverMOverall: +(sumK / sumM).toFixed(4),
    top: merges.filter((x) => x.top).map((x) => ({ m: x.m, k: x.k, rotations: x.rotations })),
    bySize: Object.fromEntries(Object.entries(bySize).sort(([a], [b]) => Number(b) - Number(a))),
    gemmGflopPerSolve: { wgsl: gflop(wgsl), cpu: gflop(cpu), nonDeflatedOnly: gflop(nonDeflated) },
    secularK2Millions: +(secular / 1e6).toFixed(1),
  };
}

/** The moments of the embedding and of layer 0's signals, from the real per-layer code; each PCA's merges logged. */
async function moments(name: string, src: ModelSource, ids: Int32Array, nsamples: number, seqlen: number, dtype: 'float16' | 'bfloat16' | 'float32'): Promise<Solved[]> {
  const cfg = src.config;
  const { runner, engine } = await createSignalEngine(src.arch, 'cpu', { kind: 'device', passDtype: 'f32', storeDtype: dtype, deviceBudgetBytes: 64 * 2 ** 30 });
  const out: Solved[] = [];
  const rotations: RotationProvider = async (signal, layer, m) => {
    const n = m.n;
    const h = m.matrix();
    let trace = 0;
    for (let i = 0; i < n; i++) trace += h[i * n + i];
    const damp = (0.01 * trace) / n;
    for (let i = 0; i < n; i++) h[i * n + i] += damp;
    const r = await solve(name, signal, layer, m.tokens, h, n, damp);
    out.push(r);
    return { q: r.vectors, eigenvalues: r.eigenvalues };
  };
  const scratch = mkdtempSync(join(tmpdir(), 'dc-deflation-'));
  try {
    await rotateAndSlice(quietContext(), {
      source: src,
      runner,
      calibration: { ids, nsamples, seqlen },
      schedule: makeSchedule({ hiddenSize: cfg.hiddenSize, layers: 1, parallelBlocks: cfg.parallelBlocks, ratio: 0.25, sliceHead: false }),
      sink: { embedding: async () => {}, layer: async () => {}, head: async () => {} },
      batchSize: Math.max(1, Math.floor(4096 / seqlen)),
      scratch,
      ramBudgetBytes: 16 * 2 ** 30,
      rotations,
      engine,
      prefetch: false,
    });
  } finally {
    await engine.close().finally(() => runner.dispose());
    rmSync(scratch, { recursive: true, force: true });
  }
  return out.map(({ ...s }) => s);
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const name = f.get('config') ?? 'llama-2-7b';
  const nsamples = Number(f.get('nsamples') ?? 32);
  const seqlen = Number(f.get('seqlen') ?? 512);
  const only = new Set((f.get('only') ?? 'synthetic,synth,random').split(','));
  const dir = sharedData('configs');
  const file = readdirSync(dir).find((x) => x.startsWith(name) && x.endsWith('.json'));
  if (!file) throw new Error(`no config ${name}*.json in ${dir}`);
  const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
  const width = Number(raw.hidden_size);
  const solved: Solved[] = [];
  const t0 = performance.now();
  if (only.has('synthetic')) {
    const src = new SyntheticSource({ ...raw, num_hidden_layers: 1 }, 1, { dtype: 'float16' });
    let s = 1;
    const ids = Int32Array.from({ length: nsamples * seqlen }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s % src.config.vocabSize));
    solved.push(...(await moments('synthetic', src, ids, nsamples, seqlen, 'float16')));
  }
  if (only.has('synth')) {
    const work = mkdtempSync(join(tmpdir(), 'dc-deflation-synth-'));
    try {
      const folder = join(work, 'synth');
      await synthModel(quietContext(), { config: join(dir, file), out: folder, dtype: 'bf16', layers: 1, seed: 0, overwrite: true });
      const src = await openModel(folder);
      const cal = await loadCalibration(folder, { cal: 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0 });
      solved.push(...(await moments('synth', src, cal.ids, nsamples, seqlen, 'bfloat16')));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  if (only.has('random')) solved.push(await solve('random', 'symmetric', null, null, symmetric(width, width), width));
  const report = {
    bench: 'dc-deflation',
    command: `npm run bench -- dc-deflation ${args.join(' ')}`,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism() },
    config: file,
    nsamples,
    seqlen,
    tokens: nsamples * seqlen,
    deviceMergeMin: DEVICE_MERGE_MIN,
    note: 'gemmGflopPerSolve.wgsl is what the WGSL solver multiplies: its device merges (m ≥ 1024 and the top) run the full m×m product whatever deflated, so a spectrum changes only the small host merges and the secular work (k²)',
    wallSeconds: +((performance.now() - t0) / 1000).toFixed(1),
    matrices: solved.map(summary),
  };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  if (f.has('save')) writeFileSync(join(root, 'bench/results', `${f.get('save')}.json`), `${json}\n`);
}
