// SliceGPT's shapes: every block reads one width and writes another, carries a d_in×d_out shortcut on
// the residual, and uses a weightless RMSNorm whose divisor is the ORIGINAL hidden size. One compiled
// session per block kind must serve all of these widths, and match the float64 reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import type { ArchSpec, ModelSource } from '../../core/model/model-source';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from '../../core/model/weights';
import { parseConfig } from '../../core/model/config';
import { referenceLogits } from './reference-forward';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

class SlicedRandomSource implements ModelSource {
  readonly config;
  readonly arch: ArchSpec;
  readonly folder = 'memory:sliced';
  readonly #r = rng(11);
  readonly #widths: number[];
  readonly #layers: LayerWeights[] = [];
  readonly #emb: EmbeddingWeights;
  readonly #head: HeadWeights;

  constructor(parallel: boolean) {
    const D = 32;
    const H = 4;
    const hd = 8;
    this.config = parseConfig({
      model_type: parallel ? 'phi' : 'llama',
      hidden_size: D,
      intermediate_size: 40,
      num_attention_heads: H,
      num_key_value_heads: parallel ? H : 2,
      num_hidden_layers: 2,
      vocab_size: 50,
      partial_rotary_factor: parallel ? 0.5 : 1,
    });
    this.arch = {
      numHeads: H,
      numKvHeads: this.config.numKvHeads,
      headDim: hd,
      rope: { theta: 10000, rotaryDim: parallel ? 4 : 8 },
      activation: parallel ? 'gelu_new' : 'silu',
      gatedMlp: !parallel,
      parallelBlocks: parallel,
    };
    // widths: embedding 24 → block widths shrinking and growing, as per-layer slicing produces
    this.#widths = parallel ? [24, 20, 28] : [24, 20, 18, 26, 22];
    const norm: NormSpec = { kind: 'rmsnorm', eps: 1e-5, divisor: D };
    const w = this.#widths;
    this.#emb = { tokens: this.#m(50, w[0], 1) };
    const F = 40;
    if (parallel) {
      for (let l = 0; l < 2; l++) {
        const [i, o] = [w[l], w[l + 1]];
        this.#layers.push({
          kind: 'parallel',
          block: {
            norm,
            attn: { q: this.#lin(H * hd, i), k: this.#lin(H * hd, i), v: this.#lin(H * hd, i), o: this.#lin(o, H * hd) },
            mlp: { up: this.#lin(F, i), down: this.#lin(o, F) },
            shortcut: this.#m(i, o, 0.3),
          },
        });
      }
    } else {
      for (let l = 0; l < 2; l++) {
        const [a, b, c] = [w[2 * l], w[2 * l + 1], w[2 * l + 2]];
        this.#layers.push({
          kind: 'sequential',
          attn: { norm, q: this.#lin(H * hd, a), k: this.#lin(2 * hd, a), v: this.#lin(2 * hd, a), o: this.#lin(b, H * hd), shortcut: this.#m(a, b, 0.3) },
          mlp: { norm, gate: this.#lin(F, b), up: this.#lin(F, b), down: this.#lin(c, F), shortcut: this.#m(b, c, 0.3) },
        });
      }
    }
    this.#head = { norm, lm: this.#lin(50, w[w.length - 1]) };
  }

  #m(rows: number, cols: number, scale = 1 / Math.sqrt(cols)): Matrix {
    return { rows, cols, data: Float32Array.from({ length: rows * cols }, () => this.#r() * scale * 1.7) };
  }

  #lin(out: number, inW: number): Linear {
    return { weight: this.#m(out, inW), bias: Float32Array.from({ length: out }, () => this.#r() * 0.1) };
  }

  async embedding() {
    return this.#emb;
  }
  async layer(i: number) {
    return this.#layers[i];
  }
  async head() {
    return this.#head;
  }
}

for (const parallel of [false, true]) {
  test(`${parallel ? 'parallel' : 'sequential'} blocks with per-layer widths, shortcuts and weightless RMSNorm match the reference`, async () => {
    const src = new SlicedRandomSource(parallel);
    const runner = await createBlockRunner(src.arch);
    const seq = 9;
    const ids = Int32Array.from({ length: seq }, (_, i) => (i * 11 + 5) % 50);
    const out = await forward(src, runner, [ids], { logits: true });
    const ref = await referenceLogits(src, Array.from(ids));
    let maxErr = 0;
    for (let i = 0; i < seq; i++) for (let j = 0; j < 50; j++) maxErr = Math.max(maxErr, Math.abs(out.logits![i * 50 + j] - ref[i][j]));
    assert.ok(maxErr < 1e-4, `max |logit − reference| = ${maxErr}`);
    // embed + one attention/mlp (or parallel) graph + head: widths never force a recompile
    assert.equal(runner.sessionCount, parallel ? 3 : 4);
    await runner.dispose();
  });
}

test('a block whose widths disagree with its weights fails with a one-line message', async () => {
  const src = new SlicedRandomSource(false);
  const runner = await createBlockRunner(src.arch);
  const w = await src.layer(0);
  assert.equal(w.kind, 'sequential');
  if (w.kind !== 'sequential') return;
  await assert.rejects(runner.attention(w.attn, new Float32Array(2 * 3 * 30), 2, 3), /q: weight is 32×24 but its input has width 30/);
  await assert.rejects(runner.attention({ ...w.attn, shortcut: undefined }, new Float32Array(3 * 24), 1, 3), /maps width 24 to 20 but has no shortcut/);
  await runner.dispose();
});
