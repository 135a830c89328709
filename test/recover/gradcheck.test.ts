// Every hand-written backward against central differences in float64 (step 1e-6): relative error
// ‖g − g_fd‖∞ / ‖g_fd‖∞ ≤ 1e-4 over the checked coordinates (all of them for small tensors, 64 spread
// over larger ones). Ops one at a time, then the block pieces composed from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { gradCheck, randn, STEP } from './gradcheck';
import * as op from '../../core/recover/ops';
import { activate, attention, linear, mlp, normalize, residual, rope } from '../../core/recover/layers';
import { ropeTables, causalMask } from '../../core/runtime/rope';

const TOL = 1e-4;
const ok = async (what: string, e: Promise<number>) => {
  const err = await e;
  assert.ok(err <= TOL, `${what}: relative error ${err.toExponential(2)} > ${TOL} (central differences, step ${STEP})`);
};

test('elementwise add/sub/mul/div backward, with broadcasting, matches central differences', async () => {
  for (const f of [op.add, op.sub, op.mul, op.div]) {
    await ok(
      f.name,
      gradCheck({ a: { shape: [2, 3, 4] }, b: { shape: [3, 1], data: Float64Array.from(randn(3, 7), (v) => v + 2) } }, (t, v) => f(t, v.a, v.b)),
    );
  }
});

test('scale, addScalar and every unary op backward match central differences', async () => {
  await ok(
    'scale',
    gradCheck({ a: { shape: [3, 4] } }, (t, v) => op.scale(t, v.a, -1.7)),
  );
  await ok(
    'addScalar',
    gradCheck({ a: { shape: [3, 4] } }, (t, v) => op.addScalar(t, v.a, 0.3)),
  );
  const positive = { shape: [3, 5], data: Float64Array.from(randn(15, 3), (x) => x + 1.5) };
  for (const u of ['Exp', 'Sigmoid', 'Tanh', 'Neg'] as const)
    await ok(
      u,
      gradCheck({ a: { shape: [3, 5] } }, (t, v) => op.unary(t, u, v.a)),
    );
  for (const u of ['Log', 'Sqrt', 'Reciprocal'] as const)
    await ok(
      u,
      gradCheck({ a: positive }, (t, v) => op.unary(t, u, v.a)),
    );
  // Relu away from its kink (|x| ≥ 0.1), where the derivative exists.
  const offKink = { shape: [3, 5], data: Float64Array.from(randn(15, 4), (x) => (x >= 0 ? x + 0.1 : x - 0.1)) };
  await ok(
    'Relu',
    gradCheck({ a: offKink }, (t, v) => op.unary(t, 'Relu', v.a)),
  );
});

test('Erf backward matches central differences of the float32 erf kernel (step 1e-3, error ≤ 1e-4)', async () => {
  // The CPU EP has Erf in float32 only; float64 graphs cast around it, so its values carry ~6e-8
  // absolute error and the step must be larger than the default for the quotient to mean anything.
  const err = await gradCheckErf();
  assert.ok(err <= TOL, `Erf: relative error ${err.toExponential(2)}`);
});

async function gradCheckErf(): Promise<number> {
  // Same check as gradCheck with a larger step, inline (gradCheck's step is fixed for the float64 ops).
  const { Tape } = await import('../../core/recover/tape');
  const t = new Tape('erf', 'float64');
  const a = t.input('a', [8], true);
  const y = op.unary(t, 'Erf', a);
  const loss = op.reduceSum(t, y, [0]);
  const g = t.backward(op.reshape(t, loss, []), [a]);
  t.g.node('Identity', [loss.name], {}, { out: 'loss' });
  t.g.output('loss', 'float64');
  t.g.node('Identity', [g.get('a')!], {}, { out: 'ga' });
  t.g.output('ga', 'float64');
  const s = await ort.InferenceSession.create(t.g.toBytes());
  const x = Float64Array.from([-2, -1, -0.5, -0.1, 0.2, 0.7, 1.3, 2.2]);
  const run = async (d: Float64Array) => s.run({ a: new ort.Tensor('float64', d, [8]) });
  const ga = (await run(x)).ga.data as Float64Array;
  const h = 1e-3;
  let err = 0;
  let ref = 0;
  for (let i = 0; i < 8; i++) {
    const p = Float64Array.from(x);
    p[i] += h;
    const m = Float64Array.from(x);
    m[i] -= h;
    const fd = (((await run(p)).loss.data as Float64Array)[0] - ((await run(m)).loss.data as Float64Array)[0]) / (2 * h);
    err = Math.max(err, Math.abs(fd - ga[i]));
    ref = Math.max(ref, Math.abs(fd));
  }
  return err / ref;
}

test('matmul backward (2-D weight, batched, broadcast over a batch axis) matches central differences', async () => {
  await ok(
    'x·W',
    gradCheck({ a: { shape: [2, 3, 4] }, b: { shape: [4, 5] } }, (t, v) => op.matmul(t, v.a, v.b)),
  );
  await ok(
    'batched',
    gradCheck({ a: { shape: [2, 3, 4] }, b: { shape: [2, 4, 2] } }, (t, v) => op.matmul(t, v.a, v.b)),
  );
  await ok(
    'broadcast',
    gradCheck({ a: { shape: [2, 3, 2, 4] }, b: { shape: [2, 1, 4, 3] } }, (t, v) => op.matmul(t, v.a, v.b)),
  );
});

test('reduceSum, reduceMean, softmax, reshape, transpose, slice and concat backward match central differences', async () => {
  await ok(
    'reduceSum',
    gradCheck({ a: { shape: [2, 3, 4] } }, (t, v) => op.reduceSum(t, v.a, [0, 2])),
  );
  await ok(
    'reduceMean',
    gradCheck({ a: { shape: [2, 3, 4] } }, (t, v) => op.reduceMean(t, v.a, [-1])),
  );
  await ok(
    'softmax',
    gradCheck({ a: { shape: [3, 6] } }, (t, v) => op.softmax(t, v.a)),
  );
  await ok(
    'reshape',
    gradCheck({ a: { shape: [2, 6] } }, (t, v) => op.reshape(t, v.a, [3, 4])),
  );
  await ok(
    'transpose',
    gradCheck({ a: { shape: [2, 3, 4] } }, (t, v) => op.transpose(t, v.a, [2, 0, 1])),
  );
  await ok(
    'slice',
    gradCheck({ a: { shape: [2, 7] } }, (t, v) => op.slice(t, v.a, 1, 2, 5)),
  );
  await ok(
    'concat',
    gradCheck({ a: { shape: [2, 3] }, b: { shape: [2, 2] } }, (t, v) => op.concat(t, [v.a, v.b], 1)),
  );
});

test('weighted cross-entropy backward (padding rows weighted 0) matches central differences', async () => {
  const targets = new ort.Tensor('int32', Int32Array.from([3, 0, 5, 2]), [4]);
  await ok(
    'cross-entropy',
    gradCheck(
      { logits: { shape: [4, 6], amp: 3 }, w: { shape: [4], data: Float64Array.from([0.25, 0, 0.25, 0.5]), trainable: false } },
      (t, v) => {
        const targ = t.g.input('targets', 'int32', [4]);
        return op.reshape(t, op.weightedCrossEntropy(t, v.logits, targ, v.w), [1]);
      },
      { extraFeeds: { targets } },
    ),
  );
});

test('RMSNorm (divisor ≠ width, with and without weight) and LayerNorm backward match central differences', async () => {
  await ok(
    'rmsnorm',
    gradCheck({ x: { shape: [3, 6] } }, (t, v) => normalize(t, v.x, { kind: 'rmsnorm', eps: 1e-5, divisor: 8 })),
  );
  await ok(
    'rmsnorm·w',
    gradCheck({ x: { shape: [3, 6] }, w: { shape: [6], trainable: false } }, (t, v) => normalize(t, v.x, { kind: 'rmsnorm', eps: 1e-5, divisor: 6, weight: v.w })),
  );
  await ok(
    'layernorm',
    gradCheck({ x: { shape: [3, 6] }, w: { shape: [6], trainable: false }, b: { shape: [6], trainable: false } }, (t, v) => normalize(t, v.x, { kind: 'layernorm', eps: 1e-5, weight: v.w, bias: v.b })),
  );
});

test('linear with LoRA: gradients of x, A and B (B non-zero) match central differences', async () => {
  await ok(
    'lora linear',
    gradCheck({ x: { shape: [5, 6] }, W: { shape: [6, 4], trainable: false }, bias: { shape: [4], trainable: false }, A: { shape: [2, 6] }, B: { shape: [4, 2] } }, (t, v) =>
      linear(t, v.x, { weightInOut: v.W, bias: v.bias, lora: { A: v.A, B: v.B, scale: 5 } }),
    ),
  );
});

test('SiLU, ReLU and GELU (tanh) backward match central differences', async () => {
  for (const a of ['silu', 'gelu_new'] as const)
    await ok(
      a,
      gradCheck({ x: { shape: [4, 5], amp: 3 } }, (t, v) => activate(t, v.x, a)),
    );
  const offKink = Float64Array.from(randn(20, 5, 3), (x) => (x >= 0 ? x + 0.1 : x - 0.1));
  await ok(
    'relu',
    gradCheck({ x: { shape: [4, 5], data: offKink } }, (t, v) => activate(t, v.x, 'relu')),
  );
});

test('rotary embedding (full and partial rotary dims) backward matches central differences', async () => {
  for (const rot of [4, 2]) {
    const { cos, sin } = ropeTables(10000, rot, 0, 3);
    await ok(
      `rope ${rot}/4`,
      gradCheck({ x: { shape: [2, 2, 3, 4] } }, (t, v) => rope(t, v.x, rot, t.constant('cos', [3, rot / 2], cos), t.constant('sin', [3, rot / 2], sin))),
    );
  }
});

test('causal attention with grouped KV heads, rotary and LoRA on q/v: backward matches central differences', async () => {
  const [B, S, H, Hkv, d, D] = [2, 3, 4, 2, 2, 5];
  const { cos, sin } = ropeTables(10000, d, 0, S);
  const lin = (inF: number, outF: number) => ({ [`W${inF}x${outF}`]: { shape: [inF, outF], trainable: false } });
  await ok(
    'attention',
    gradCheck(
      {
        n: { shape: [B * S, D] },
        ...lin(D, H * d),
        Wk: { shape: [D, Hkv * d], trainable: false },
        Wv: { shape: [D, Hkv * d], trainable: false },
        Wo: { shape: [H * d, D], trainable: false },
        Aq: { shape: [2, D] },
        Bq: { shape: [H * d, 2] },
        Av: { shape: [2, D] },
        Bv: { shape: [Hkv * d, 2] },
      },
      (t, v) =>
        attention(
          t,
          v.n,
          { q: { weightInOut: v[`W${D}x${H * d}`], lora: { A: v.Aq, B: v.Bq, scale: 2 } }, k: { weightInOut: v.Wk }, v: { weightInOut: v.Wv, lora: { A: v.Av, B: v.Bv, scale: 2 } }, o: { weightInOut: v.Wo } },
          { batch: B, seq: S, heads: H, kvHeads: Hkv, headDim: d, rotary: { dim: d, cos: t.constant('cos', [S, d / 2], cos), sin: t.constant('sin', [S, d / 2], sin) }, mask: t.constant('mask', [S, S], causalMask(0, S)) },
        ),
      { maxCoords: 40 },
    ),
  );
});

test('gated MLP with LoRA on down, after RMSNorm, plus a sliced shortcut: backward matches central differences', async () => {
  await ok(
    'mlp block',
    gradCheck(
      { x: { shape: [4, 5] }, S: { shape: [5, 3], trainable: false }, Wg: { shape: [5, 7], trainable: false }, Wu: { shape: [5, 7], trainable: false }, Wd: { shape: [7, 3], trainable: false }, A: { shape: [2, 7] }, B: { shape: [3, 2] } },
      (t, v) => {
        const n = normalize(t, v.x, { kind: 'rmsnorm', eps: 1e-5, divisor: 8 });
        const y = mlp(t, n, { gate: { weightInOut: v.Wg }, up: { weightInOut: v.Wu }, down: { weightInOut: v.Wd, lora: { A: v.A, B: v.B, scale: 3 } }, act: 'silu' });
        return op.add(t, y, residual(t, v.x, v.S));
      },
      { maxCoords: 40 },
    ),
  );
});
