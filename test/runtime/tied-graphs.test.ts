// The runtime's tied-embedding branch (sliced-folder format 2): the embedding graph multiplies the gathered
// rows of E by its projection, the head multiplies its D-wide output by Eᵀ. Each runner mode (weights fed,
// weights baked as initializers, device-resident) must compute what the materialised tables E·P compute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBlockRunner, type RunnerOptions } from '../../core/runtime/runner';
import type { ArchSpec } from '../../core/model/model-source';
import type { Matrix, NormSpec } from '../../core/model/weights';
import { untiedEmbedding, untiedHead } from '../../core/slicegpt/tied';

const V = 50,
  D = 16,
  d = 12;
const arch: ArchSpec = { numHeads: 2, numKvHeads: 2, headDim: 4, rope: null, activation: 'relu', gatedMlp: false, parallelBlocks: false };
const norm: NormSpec = { kind: 'rmsnorm', eps: 1e-5, divisor: D };

function random(rows: number, cols: number, seed: number): Matrix {
  let s = seed;
  const data = Float32Array.from({ length: rows * cols }, () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32 - 0.5));
  return { rows, cols, data };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const MODES: [string, RunnerOptions][] = [
  ['fed', {}],
  ['initializers', { weights: 'initializers' }],
  ['resident', { resident: 'always' }],
];

for (const [mode, opts] of MODES) {
  test(`tied embedding and head (${mode} weights) compute what the materialised E·P tables compute`, async () => {
    const E = random(V, D, 1);
    const tied = { tokens: E, projection: random(D, d, 2), positions: random(20, d, 3), positionOffset: 2 };
    const head = { norm, lm: { weight: random(D, d, 4), bias: random(1, D, 5).data }, vocab: E };
    const ids = Int32Array.from({ length: 2 * 7 }, (_, i) => (i * 13) % V);
    const r = await createBlockRunner(arch, opts);
    try {
      const x = await r.embed(tied, ids, 2, 7);
      const xRef = await r.embed(await untiedEmbedding(tied), ids, 2, 7);
      assert.equal(x.length, 2 * 7 * d);
      assert.ok(maxDiff(x, xRef) < 1e-5, `embedding differs by ${maxDiff(x, xRef)}`);
      const targets = Int32Array.from(ids, (v) => (v + 1) % V);
      const h = await r.head(head, x, 2, 7, { targets, logits: true });
      const hRef = await r.head(await untiedHead(head), x, 2, 7, { targets, logits: true });
      assert.equal(h.logits!.length, 2 * 7 * V);
      assert.ok(maxDiff(h.logits!, hRef.logits!) < 1e-4, `logits differ by ${maxDiff(h.logits!, hRef.logits!)}`);
      assert.ok(maxDiff(h.nll!, hRef.nll!) < 1e-4);
    } finally {
      await r.dispose();
    }
  });
}
