// Inference speed of a dense model and its slice on one execution provider (#14 item 2): prefill tokens/s
// at batch 1 and B with long prompts, decode ms/token at batch 1 and B' with the KV cache, peak VRAM
// (nvidia-smi sampled) — the same measurement as the app's `bench` job (eval/speed.ts measureShapes), whose
// defaults (speedShapes) size the prompts for the model where --prompt / --decode-prompt are not given.
//   npm run bench -- infer-speed --dense DIR --sliced DIR [--ep webgpu] [--dtype f16|f32|auto] …
//   npm run bench -- infer-speed --config CFG --tokenizer TOK --work DIR [--layers N] [--ratio 0.25] …
// --profile adds, per model, the session runs, host-fed runs, syncs and MB up/down of one prefill (of the
// prefill prompt) and per decoded token at batch 1 (core/runtime/decode-profile.ts): counts, not timings.
// With --ep webgpu, decode at batch 1 runs on the WGSL decoder (core/runtime/wgsl-decode) where the model is
// supported and a Dawn device opens; each model's decodeEngine says which engine ran (SLICE_STUDIO_DECODE=ort
// forces ORT for the comparison, =wgsl refuses to fall back). One copy of the weights at a time: ORT's shapes run
// first and its runner is disposed before the WGSL decoder uploads (each model's `held`: ORT's device tensors and
// the decoder's MB per shape; `vram.phases`: nvidia-smi's peak per phase where it exists); one Dawn device serves
// both models and is closed at the end.
// With --config, both folders are made here by synth (random bf16 weights; speed does not depend on
// values): the dense model, and the uniform slice's shapes — a uniform rotation leaves a LLaMA whose
// residual width is d = (1 − ratio)·D with the original heads (q/k/v: d → H·headDim, o back to d), no
// shortcut matrices, and embedding and head of width d — written as a config with hidden_size d and an
// explicit head_dim. Results go to --json after every model (a call that runs out of time keeps them).
import { writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { quietContext } from '../core/base/job-context';
import { openAnyModel } from '../core/slicegpt/open';
import { createBlockRunner } from '../core/runtime/runner';
import { loadDecodeWeights, planDecoding } from '../core/runtime/decode-step';
import { runnerOptionsFor, type InferDtype } from '../core/runtime/inference-plan';
import { cachePositions, measureShapes, speedShapes } from '../core/eval/speed';
import type { ExecutionProvider } from '../core/runtime/contract';
import { VramSampler } from './lib/vram-sampler';
import { profileDecoding } from '../core/runtime/decode-profile';
import { closeWgslDevice } from '../core/hardware/webgpu-device';

interface Args {
  dense?: string;
  sliced?: string;
  config?: string;
  tokenizer?: string;
  work: string;
  layers?: number;
  ratio: number;
  ep: ExecutionProvider;
  dtype: InferDtype | 'auto';
  prompt?: number;
  prefillBatch?: number;
  decodeBatch?: number;
  decodePrompt?: number;
  newTokens?: number;
  repeats?: number;
  label: string;
  json?: string;
  only?: string[];
  vramGb?: number;
  profile?: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { work: '/tmp/infer-speed', ratio: 0.25, ep: 'cpu', dtype: 'auto', label: 'here' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--dense') a.dense = v();
    else if (k === '--sliced') a.sliced = v();
    else if (k === '--config') a.config = v();
    else if (k === '--tokenizer') a.tokenizer = v();
    else if (k === '--work') a.work = v();
    else if (k === '--layers') a.layers = Number(v());
    else if (k === '--ratio') a.ratio = Number(v());
    else if (k === '--ep') a.ep = v() as ExecutionProvider;
    else if (k === '--dtype') a.dtype = v() as Args['dtype'];
    else if (k === '--prompt') a.prompt = Number(v());
    else if (k === '--prefill-batch') a.prefillBatch = Number(v());
    else if (k === '--decode-batch') a.decodeBatch = Number(v());
    else if (k === '--decode-prompt') a.decodePrompt = Number(v());
    else if (k === '--new') a.newTokens = Number(v());
    else if (k === '--repeats') a.repeats = Number(v());
    else if (k === '--label') a.label = v();
    else if (k === '--json') a.json = v();
    else if (k === '--only') a.only = v().split(',');
    else if (k === '--vram-gb') a.vramGb = Number(v());
    else if (k === '--profile') a.profile = true;
    else throw new Error(`infer-speed: unknown argument ${k}`);
  }
  return a;
}

/** The uniform slice's shapes as a config: residual width d, heads unchanged (see the header). */
export function uniformSliceConfig(raw: Record<string, unknown>, ratio: number): Record<string, unknown> {
  const D = Number(raw.hidden_size);
  const H = Number(raw.num_attention_heads);
  const d = Math.round((D * (1 - ratio)) / 8) * 8;
  return { ...raw, hidden_size: d, head_dim: raw.head_dim ?? D / H };
}

async function synthPair(a: Args): Promise<{ dense: string; sliced: string; synthSeconds: number }> {
  const { synthModel } = await import('../core/synth/synth');
  mkdirSync(a.work, { recursive: true });
  const raw = JSON.parse(readFileSync(a.config!, 'utf8')) as Record<string, unknown>;
  const slicedCfg = join(a.work, 'sliced-config.json');
  writeFileSync(slicedCfg, JSON.stringify(uniformSliceConfig(raw, a.ratio)));
  const t = performance.now();
  const dense = join(a.work, 'dense');
  const sliced = join(a.work, 'sliced');
  for (const [cfg, out] of [
    [a.config!, dense],
    [slicedCfg, sliced],
  ]) {
    if (!existsSync(join(out, 'config.json'))) await synthModel(quietContext(), { config: cfg, out, layers: a.layers, tokenizer: a.tokenizer, dtype: 'bf16' });
  }
  return { dense, sliced, synthSeconds: (performance.now() - t) / 1000 };
}

async function measure(folder: string, a: Args) {
  const ctx = quietContext();
  const t0 = performance.now();
  const src = await openAnyModel(folder);
  const shapes = speedShapes(src.config.maxPositions, { promptTokens: a.prompt, prefillBatch: a.prefillBatch, decodePrompt: a.decodePrompt, decodeBatch: a.decodeBatch, newTokens: a.newTokens, repeats: a.repeats });
  const w = await loadDecodeWeights(src);
  const loadSeconds = (performance.now() - t0) / 1000;
  const plan = await planDecoding(src, w, cachePositions(shapes), { ep: a.ep, dtype: a.dtype, vramGb: a.vramGb });
  const sampler = new VramSampler().start();
  const runner = await createBlockRunner(src.arch, runnerOptionsFor(a.ep, plan));
  const out: Record<string, unknown> = { folder, layers: w.layers.length, width: w.emb.tokens.cols, plan, shapes, loadSeconds };
  try {
    // Each shape apart: one that fails (a device limit at batch 8 × 2048, say) keeps its one-line error and
    // leaves the others' numbers.
    // On the webgpu EP, batch-1 decoding runs on the WGSL decoder where it can (out.decodeEngine says which
    // and why; SLICE_STUDIO_DECODE=ort times ORT instead, =wgsl fails rather than time ORT).
    // ORT's shapes run first and its runner is disposed before the WGSL decoder uploads its copy (one copy of the
    // weights at a time; out.held says which engine held what per shape, out.vram.phases the peak per phase).
    Object.assign(out, await measureShapes(ctx, runner, w, shapes, 'record', { wgsl: { arch: src.arch, plan }, onPhase: (p) => sampler.mark(p) }));
    if (a.profile) sampler.mark('profile');
    if (a.profile && runner.device) out.profile = await profile(runner, w, shapes);
    else if (a.profile) {
      // The CPU EP moves nothing: count the device code path (`resident: 'always'`) as a GPU EP would run it.
      const counted = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', decoding: true, passDtype: plan.dtype });
      try {
        await profileDecoding(counted, w, Int32Array.of(1, 2), 1, 1); // first-use weight uploads
        out.profile = { ...(await profile(counted, w, shapes)), path: "the GPU path counted on the CPU EP (resident: 'always')" };
      } finally {
        await counted.dispose();
      }
    }
  } catch (e) {
    out.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    await runner.dispose();
    out.vram = sampler.stop();
  }
  return out;
}

/** Runs and MB of one prefill and per decoded token at batch 1, after the timed shapes (weights already up). */
async function profile(runner: Awaited<ReturnType<typeof createBlockRunner>>, w: Awaited<ReturnType<typeof loadDecodeWeights>>, s: ReturnType<typeof speedShapes>) {
  const V = w.emb.tokens.rows;
  const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => (i * 7919 + 17) % V);
  const prefill = (await profileDecoding(runner, w, ids(s.promptTokens), 1, 0)).prefill;
  const steps = Math.min(8, s.newTokens);
  const decode = await profileDecoding(runner, w, ids(s.decodePrompt), 1, steps);
  const line = (t: { runs: number; hostFedRuns: number; syncs: number; uploadMB: number; downloadMB: number }) => `${t.runs} runs (${t.hostFedRuns} host-fed, ${t.syncs} syncs), ${t.uploadMB} MB up, ${t.downloadMB} MB down`;
  console.error(`profile: prefill of ${s.promptTokens} tokens: ${line(prefill)}; per decoded token (batch 1, ${steps} steps after ${s.decodePrompt}): ${line(decode.perToken)}`);
  return { note: 'counts as a GPU EP moves tensors (transfer-count.ts), not timings', prefill, perToken: decode.perToken, steps, decodePrompt: s.decodePrompt };
}

export async function main(argv: string[]): Promise<void> {
  const a = parse(argv);
  const report: Record<string, unknown> = { bench: 'infer-speed', label: a.label, ep: a.ep, dtype: a.dtype, args: a, startedAt: new Date().toISOString(), models: {} };
  const save = () => {
    if (a.json) writeFileSync(a.json, JSON.stringify(report, null, 1));
  };
  let { dense, sliced } = a;
  if (a.config) {
    const p = await synthPair(a);
    ({ dense, sliced } = p);
    report.synthSeconds = p.synthSeconds;
    report.synth = { config: a.config, layers: a.layers ?? 'all', ratio: a.ratio, note: 'uniform slice shapes: hidden_size d with explicit head_dim, no shortcuts' };
  }
  const models = report.models as Record<string, unknown>;
  try {
    for (const [name, folder] of [
      ['dense', dense],
      ['sliced', sliced],
    ] as const) {
      if (!folder || (a.only && !a.only.includes(name))) continue;
      models[name] = await measure(folder, a);
      save();
    }
  } finally {
    // One WGSL device for both models (not closed and reopened between them), let go at the end.
    await closeWgslDevice();
  }
  const tps = (n: string) => (models[n] as { decode?: { tokensPerSecond: number }[] } | undefined)?.decode?.[0]?.tokensPerSecond ?? NaN;
  report.slicedOverDenseDecodeBatch1 = tps('sliced') / tps('dense');
  report.finishedAt = new Date().toISOString();
  save();
  console.log(JSON.stringify(report, null, 1));
}
