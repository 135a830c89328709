// The wizard's Recover defaults: r 32 capped by the slice's width, α 10, seqlen 256 capped by the
// model's context, and the steps that fit the time budget at the rate predicted from the measured anchor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measuredTokensPerSecond, predictedTokensPerSecond, recoverDefaults, RECOVER_RATE_ANCHOR, STREAMED_RATE } from '../../core/recover/defaults';
import type { TrainRate } from '../../core/recover/rate-probe';
import { parseConfig } from '../../core/model/config';
import { countParams, slicedShapes } from '../../core/plan/params';
import { REPO_ROOT, sharedModel } from '../shared';

test('the rate anchor is the recorded benchmark: tiny-llama sliced 25 %, its layer + head parameters, its measured tokens/s', () => {
  const bench = JSON.parse(readFileSync(join(REPO_ROOT, 'bench/results/recover-wikitext2-r32-cpu-here.json'), 'utf8')) as { models: Record<string, { trainTokensPerSecond: number }> };
  assert.equal(Math.round(bench.models['tiny-llama'].trainTokensPerSecond), RECOVER_RATE_ANCHOR.tokensPerSecond);
  const c = parseConfig(JSON.parse(readFileSync(join(sharedModel('tiny-llama'), 'config.json'), 'utf8')) as Record<string, unknown>);
  const p = countParams(slicedShapes(c, { ratio: 0.25, round: 8 }));
  assert.equal(p.layers + c.vocabSize * c.hiddenSize, RECOVER_RATE_ANCHOR.workParams);
  assert.equal(predictedTokensPerSecond(RECOVER_RATE_ANCHOR.workParams, RECOVER_RATE_ANCHOR.cores), RECOVER_RATE_ANCHOR.tokensPerSecond);
});

test('defaults: rank 32 capped by d, seqlen 256 capped by the context; steps shrink (never below 10) to fit the budget on a slow machine', () => {
  const tiny = recoverDefaults({ d: 192, layerParams: 2_564_096, vocab: 4096, headWidth: 256, maxPositions: 512, cores: 2 });
  assert.deepEqual([tiny.rank, tiny.alpha, tiny.seqlen, tiny.batch, tiny.steps], [32, 10, 256, 4, 200]);
  assert.ok(Math.abs(tiny.seconds - (200 * 4 * 256) / 889) < 1e-6);
  assert.match(tiny.basis, /^from the table, not measured on this machine: .*889 training tokens\/s on 2 shared CPU cores/);
  assert.equal(tiny.rateSource, 'table');
  const narrow = recoverDefaults({ d: 16, layerParams: 1e5, vocab: 100, headWidth: 24, maxPositions: 128, cores: 2 });
  assert.deepEqual([narrow.rank, narrow.seqlen], [16, 128]);
  // A 7B-shaped slice (≈ 5 B layer parameters) on 8 cores: far fewer steps, within 30 minutes.
  const big = recoverDefaults({ d: 3072, layerParams: 5e9, vocab: 32000, headWidth: 4096, maxPositions: 4096, cores: 8 });
  assert.equal(big.steps, 10);
  const mid = recoverDefaults({ d: 1536, layerParams: 3e8, vocab: 32000, headWidth: 2048, maxPositions: 2048, cores: 8 });
  assert.ok(mid.steps > 10 && mid.steps < 200 && mid.seconds <= 1800, `${mid.steps} steps in ${mid.seconds} s`);
});

test('the layer-streamed step is predicted at its measured rate (358 vs 998 tokens/s on tiny-llama) and the basis says which rate it used', () => {
  const bench = JSON.parse(readFileSync(join(REPO_ROOT, STREAMED_RATE.source), 'utf8')) as { runs: { label: string; tokensPerSecond: number }[] };
  const rate = (label: string) => Math.round(bench.runs.find((r) => r.label === label)!.tokensPerSecond);
  assert.deepEqual([rate('here-streamed'), rate('here-whole')], [STREAMED_RATE.streamed, STREAMED_RATE.whole]);
  const i = { d: 192, layerParams: 2_564_096, vocab: 4096, headWidth: 256, maxPositions: 512, cores: 2, budgetSeconds: 60 };
  const whole = recoverDefaults(i);
  const streamed = recoverDefaults({ ...i, engine: 'streamed' });
  assert.equal(whole.engine, 'whole');
  assert.ok(Math.abs(streamed.tokensPerSecond / whole.tokensPerSecond - 358 / 998) < 1e-12);
  assert.ok(streamed.steps < whole.steps, 'fewer steps fit the same budget at the slower rate');
  assert.match(whole.basis, /by 2 cores$/, 'the one-graph rate is the anchor itself');
  assert.match(streamed.basis, /times 358\/998 for the layer-streamed step \(measured: bench\/results\/recover-step-cpu-here\.json\)$/);
});

test('a rate measured on this machine is scaled by the work per token only (no core factor), per step, and the basis says it was measured', () => {
  const rate: TrainRate = { tokensPerSecond: { whole: 800, streamed: 200 }, workParams: 4_000_000, probe: 'llama tiny-llama, 4 × 256 tokens, 2 steps per engine', cores: 2, measuredAt: '2026-12-06T23:50:00.000Z' };
  assert.equal(measuredTokensPerSecond(rate, rate.workParams), 800);
  assert.equal(measuredTokensPerSecond(rate, 4 * rate.workParams, 'streamed'), 50);
  // tiny-llama sliced 25 %: layer parameters + vocab × head width = 3,612,672.
  const i = { d: 192, layerParams: 2_564_096, vocab: 4096, headWidth: 256, maxPositions: 512, cores: 8, measured: rate };
  const whole = recoverDefaults(i);
  const streamed = recoverDefaults({ ...i, engine: 'streamed' });
  assert.ok(Math.abs(whole.tokensPerSecond - (800 * 4_000_000) / 3_612_672) < 1e-9, 'the cores of the machine are in the measurement already');
  assert.ok(Math.abs(streamed.tokensPerSecond - (200 * 4_000_000) / 3_612_672) < 1e-9);
  assert.equal(whole.rateSource, 'measured');
  assert.equal(whole.basis, 'measured on this machine: the one-graph step ran at 800 tokens/s on llama tiny-llama, 4 × 256 tokens, 2 steps per engine (2026-12-06), scaled by the matmul work per token');
  assert.match(streamed.basis, /^measured on this machine: the layer-streamed step ran at 200 tokens\/s/);
  const table = recoverDefaults({ ...i, measured: null });
  assert.equal(table.rateSource, 'table');
  assert.match(table.basis, /^from the table, not measured on this machine/);
});
