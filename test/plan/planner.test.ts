import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { plan, estimate, formatPlan, parseGpuList, readPlanConfig, PlanInputError, GiB, MiB } from '../../core/plan/index';
import { published, configsDir, modelsDir } from './configs';

// The runtime assumptions every hand derivation below uses (documented in core/plan/memory.ts):
// 512 MiB of CUDA/Vulkan context per GPU; per GPU one layer's float32 activations for a 512-token chunk,
// 4·(4·D + 2·I) bytes per token, plus one layer's attention scores 4·heads·512·ctx; logits 4·512·V beside the head.
const RUNTIME = 512 * MiB;
const act = (D: number, I: number, heads: number, ctx: number) => 4 * 512 * (4 * D + 2 * I) + 4 * heads * 512 * ctx;
const q4 = (weights: number) => (weights / 32) * 18; // Q4_0: 18 bytes per 32 weights
const q8 = (weights: number) => (weights / 32) * 34; // Q8_0: 34 bytes per 32 weights (also the head of a Q4_0 file, as the exporter writes it)

test('LLaMA-2-70B in 4-bit at 4k context fits two 24 GB GPUs without slicing', () => {
  const c = published('llama-2-70b-hf');
  const D = 8192,
    I = 28672,
    V = 32000,
    L = 80;
  const C = 24 * GiB;
  const fixed = RUNTIME + act(D, I, 64, 4096);
  const kv = 2 * 8 * 128 * 4096 * 2; // per layer, fp16
  const emb = q4(V * D);
  const layer = q4(2 * D * D + 2 * D * 1024 + 3 * D * I) + 2 * D * 4 + kv; // two RMSNorm weights in f32
  const head = D * 4 + q8(V * D) + 4 * 512 * V; // final norm, head, logits
  const onFirst = Math.floor((C - fixed - emb) / layer); // layers GPU 0 takes after the embedding
  assert.equal(onFirst, 48);
  const second = fixed + (L - onFirst) * layer + head;
  assert.ok(second <= C, `GPU 1 holds the other 32 layers and the head: ${second} ≤ ${C}`);

  const p = plan(c, parseGpuList('24,24'), { format: 'q4', ctx: 4096, batch: 1 });
  assert.equal(p.fits, true);
  assert.equal(p.ratio, 0); // dense Q4_0 is ~36 GiB: no slicing is needed
  assert.deepEqual(
    p.estimate.devices.map((u) => u.layers),
    [
      [0, onFirst - 1],
      [onFirst, L - 1],
    ],
  );
  assert.equal(p.estimate.devices[0].usedBytes, fixed + emb + onFirst * layer);
  assert.equal(p.estimate.devices[1].usedBytes, second);
  assert.match(formatPlan(p), /^Fits without slicing \(Q4_0/);
});

test('LLaMA-2-70B in 4-bit at 4k context on two 16 GB GPUs needs 31% (d = 5632)', () => {
  const c = published('llama-2-70b-hf');
  const D = 8192,
    I = 28672,
    V = 32000,
    L = 80;
  const C = 16 * GiB;
  const fixed = RUNTIME + act(D, I, 64, 4096);
  const kv = 2 * 8 * 128 * 4096 * 2;
  const reads = 8192 + 1024 + 1024 + 2 * I; // q, k, v, gate, up read d
  const writes = 8192 + I; // o and down write d (their rows): 8192 and I inputs per row
  // Sliced: norms fused (no weights); two d×d shortcuts per layer; the last layer writes D for the unsliced head.
  const layer = (d: number) => q4(d * reads + d * writes + 2 * d * d) + kv;
  const last = (d: number) => q4(d * reads + 8192 * d + D * I + d * d + D * d) + kv;
  const head = q8(V * D) + 4 * 512 * V;
  const fits = (d: number): boolean => {
    const onFirst = Math.floor((C - fixed - q4(V * d)) / layer(d)); // greedy fill: best for an ordered split
    return fixed + (L - 1 - onFirst) * layer(d) + last(d) + head <= C;
  };
  // d = floor((1 − r)·8192) rounded down to a multiple of 32 (Q4_0 blocks): 30% → 5734 → 5728; 31% → 5652 → 5632.
  assert.equal(fits(5632), true);
  assert.equal(fits(5728), false); // and every ratio under 30% keeps d ≥ 5728, which only costs more
  const p = plan(c, parseGpuList('16,16'), { format: 'q4', ctx: 4096, batch: 1 });
  assert.equal(p.ratio, 0.31);
  assert.equal(p.d, 5632);
  assert.ok(p.warnings.some((w) => /quality cliff/.test(w)));
  assert.ok(p.suggestions.length > 0, 'past the cliff the planner says what else would do');
});

test('LLaMA-2-7B in Q8_0 at 2k context on one 8 GB GPU needs 18% (d = 3328)', () => {
  const c = published('llama-2-7b-hf');
  const D = 4096,
    I = 11008,
    V = 32000,
    L = 32;
  const kv = L * (2 * 32 * 128 * 2048 * 2); // MHA: 32 KV heads, 1 GiB
  const fixed = RUNTIME + act(D, I, 32, 2048) + 4 * 512 * V;
  const perD = 3 * D + D + 3 * I; // q/k/v and gate/up read d; o (4096 inputs) and down (I inputs) write d
  const total = (d: number) => fixed + kv + q8(V * d) + (L - 1) * q8(d * perD + 2 * d * d) + q8(d * (perD - I) + D * I + d * d + d * D) + q8(V * D);
  // 18%: floor(0.82·4096 = 3358.7) → 3328 (multiple of 32); 17%: floor(0.83·4096 = 3399.7) → 3392.
  assert.ok(total(3328) <= 8 * GiB);
  assert.ok(total(3392) > 8 * GiB);
  const p = plan(c, parseGpuList('8'), { format: 'q8', ctx: 2048 });
  assert.equal(p.ratio, 0.18);
  assert.equal(p.d, 3328);
  assert.equal(p.estimate.totalBytes, total(3328));
  assert.deepEqual(
    p.warnings.filter((w) => /cliff|does not fit/.test(w)),
    [],
  );
});

test('nothing fits LLaMA-2-7B in fp16 at 4k on 8 GB: the planner says why and what would', () => {
  const c = published('llama-2-7b-hf');
  const D = 4096,
    I = 11008,
    V = 32000,
    L = 32,
    d = 2048;
  const perD = 3 * D + D + 3 * I;
  const params = V * d + (L - 1) * (d * perD + 2 * d * d) + (d * (perD - I) + D * I + d * d + d * D) + V * D;
  const at50 = 2 * params + 2 * GiB + RUNTIME + act(D, I, 32, 4096) + 4 * 512 * V; // fp16, KV cache 2 GiB
  assert.ok(at50 > 8 * GiB, 'even 50% is too big: the 2 GiB KV cache does not shrink');
  const p = plan(c, parseGpuList('8'), { format: 'fp16', ctx: 4096 });
  assert.equal(p.fits, false);
  assert.equal(p.ratio, null);
  assert.equal(p.estimate.totalBytes, at50);
  assert.match(p.reasons[0], /even at 50% \(d = 2048\) the model needs/);
  const kinds = p.suggestions.map((s) => s.kind);
  assert.deepEqual(kinds, ['format', 'context', 'gpu', 'cpu']);
  const fmt = p.suggestions[0];
  assert.equal(fmt.format, 'q8_0');
  assert.ok(estimate(c, parseGpuList('8'), fmt.ratio!, { format: 'q8', ctx: 4096 }).fits, 'the suggested format really fits');
  const cpu = p.suggestions.find((s) => s.kind === 'cpu')!;
  assert.equal(cpu.gb, Math.ceil((2 * 6_738_415_616 + 2 * GiB + 256 * MiB + act(D, I, 32, 4096) + 4 * 512 * V) / GiB));
  const text = formatPlan(p);
  assert.match(text, /^Does not fit \(float16, context 4096, batch 1\)\./);
  assert.match(text, /What would fit:\n {2}- Q8_0 \(8-bit\) fits at \d+%/);
});

test('overriding to a ratio that does not fit, or past 30%, warns', () => {
  const c = published('llama-2-7b-hf');
  const e = estimate(c, parseGpuList('8'), 0.4, { format: 'fp16', ctx: 4096 });
  assert.equal(e.fits, false);
  assert.ok(e.warnings.some((w) => /^at 40% the model does not fit: GPU 0 \(8 GiB\) needs/.test(w)));
  assert.ok(e.warnings.some((w) => /past SliceGPT's quality cliff/.test(w)));
});

test('small ratios make a slice larger than dense, and the planner says from where it shrinks', () => {
  const c = published('llama-2-70b-hf');
  const dense = 8192 * 104448 + 2 * 8192; // a dense layer: 104,448 weights per residual dimension, two norms
  const sliced = (d: number) => d * 104448 + 2 * d * d; // the same layer at width d, plus two d×d shortcuts
  // 1%: floor(0.99·8192 = 8110.1) → 8104: 977,796,224 weights per layer against 855,654,400 dense.
  assert.ok(sliced(8104) > dense);
  // 12% → d = 7208: still 1,117,312 per layer over dense (×80 ≈ 89.4M), which the embedding's
  // 32000·(8192 − 7208) = 31.5M saving does not cover; 13% → d = 7120: 12.9M per layer under.
  assert.ok(80 * (sliced(7208) - dense) > 32000 * (8192 - 7208));
  assert.ok(sliced(7120) < dense);
  const e = estimate(c, parseGpuList('80'), 0.01, { format: 'fp16' });
  assert.ok(e.params.total > e.denseParams);
  assert.ok(e.warnings.some((w) => /shortcut matrices make the slice larger than the dense model .*; it gets smaller only from 13%$/.test(w)));
});

test('the slice keeps the dense KV cache; explain shows the arithmetic', () => {
  const c = published('llama-2-70b-hf');
  const hw = parseGpuList('80,80');
  const dense = estimate(c, hw, 0, { ctx: 4096 });
  const sliced = estimate(c, hw, 0.25, { ctx: 4096 });
  assert.equal(sliced.kvCacheBytes, dense.kvCacheBytes);
  assert.equal(sliced.kvCacheBytes, 2 * 80 * 8 * 128 * 4096 * 2);
  assert.equal(sliced.d, 6144);
  const text = sliced.explain.join('\n');
  assert.match(text, /floor\(\(1 − 0\.25\) × 8192\) = 6144 dimensions/);
  assert.match(text, /Sliced model: 57,908,133,888 parameters/);
  assert.match(text, /KV cache: 2 \(K and V\) × 80 layers × 8 KV heads × 128 × 4096 tokens × batch 1 × 2 bytes = 1\.25 GiB \(slicing does not shrink it/);
});

test('K-quants round d to 256, Q8_0 and Q4_0 to 32', () => {
  const c = published('llama-2-7b-hf');
  const hw = parseGpuList('4');
  for (const [format, round] of [
    ['q4_k', 256],
    ['q6_k', 256],
    ['q8', 32],
    ['q4', 32],
    ['fp16', 8],
  ] as const) {
    const e = estimate(c, hw, 0.25, { format });
    assert.equal(e.d % round, 0, format);
    assert.equal(e.d, Math.floor(3072 / round) * round, format);
  }
  assert.equal(estimate(c, hw, 0.3, { format: 'q4_k' }).d, 2816); // floor(2867.2) = 2867 → 11·256
});

test('without GPUs the plan runs on the CPU against free RAM (tiny-llama)', async () => {
  const c = await readPlanConfig(join(modelsDir, 'tiny-llama'));
  const p = plan(c, { gpus: [], ramFreeBytes: 8 * GiB }, { ctx: 256 });
  assert.equal(p.fits, true);
  assert.equal(p.ratio, 0);
  assert.equal(p.estimate.devices[0].kind, 'cpu');
  assert.equal(p.estimate.devices[0].breakdown.runtime, 256 * MiB);
  assert.equal(p.estimate.weights.total, 5_048_576 * 2);
});

test('readPlanConfig takes a folder or a bare config.json and fails in one line', async () => {
  const c = await readPlanConfig(join(configsDir, 'phi-2.json'));
  assert.equal(c.family, 'phi');
  await assert.rejects(readPlanConfig('/nonexistent/model'), (e: Error) => e instanceof PlanInputError && e.message === '/nonexistent/model is not a model folder or config.json Slice Studio can open');
  await assert.rejects(readPlanConfig(configsDir), (e: Error) => e instanceof PlanInputError && e.message === `${configsDir} is not a model folder or config.json Slice Studio can open`);
});

test('parseGpuList reads sizes in GB (GiB, as cards are sold) and rejects junk', () => {
  const hw = parseGpuList('24, 7.5');
  assert.deepEqual(
    hw.gpus.map((g) => g.freeBytes),
    [24 * GiB, 7.5 * GiB],
  );
  assert.equal(hw.gpus[0].name, 'GPU 0 (24 GiB)');
  assert.throws(
    () => parseGpuList('24,,24'),
    (e: Error) => e instanceof PlanInputError && /e\.g\. 24,24/.test(e.message),
  );
  assert.throws(
    () => parseGpuList('24,big'),
    (e: Error) => e instanceof PlanInputError && /"big" is not a GPU size/.test(e.message),
  );
  assert.throws(() => parseGpuList('-8'), PlanInputError);
});
