// The device engine's weight rotations and shortcuts are float32 products (on the GPU in production; the
// same graphs on the CPU EP here). Against the float64 products of rotate.ts they must change what a
// float16 or bfloat16 output stores by at most one unit in the last place, in a small fraction of entries,
// with an orthogonal Q from a real PCA (dense, entries ~1/√n) — and the copies they leave on the device
// for the next pass must be exactly the host result, transposed to in × out and in the passes' type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBlockRunner } from '../../core/runtime/runner';
import { deviceEngine } from '../../core/slicegpt/engine';
import { rotateReader, rotateWriter } from '../../core/slicegpt/rotate';
import { shortcutMatrix } from '../../core/slicegpt/products';
import { SecondMoment, principalDirections } from '../../core/slicegpt/pca';
import { rotationError, toF16 } from '../../core/slicegpt/rotation-error';
import type { Linear } from '../../core/model/weights';
import { openModel } from '../../core/model/source';
import { modelPath } from './helpers';

/** A float16 bit pattern's value. */
function halfToNumber(b: number): number {
  const sign = b & 0x8000 ? -1 : 1;
  const e = (b >> 10) & 0x1f;
  const m = b & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32 - 0.5));
}

/** The principal directions of random correlated activations: a dense orthogonal n×n float64 Q. */
async function pcaQ(n: number, seed: number): Promise<Float64Array> {
  const m = new SecondMoment(n);
  const tokens = 4 * n;
  const x = rand(tokens * n, seed);
  // Correlate the columns so the spectrum is spread, as in a real layer.
  for (let t = 0; t < tokens; t++) for (let j = 1; j < n; j++) x[t * n + j] += 0.7 * x[t * n + j - 1];
  await m.add(x, tokens);
  return (await principalDirections(m)).q;
}

for (const passDtype of ['f32', 'f16'] as const) {
  test(`device weight products (${passDtype} passes) match float64 within one float16/bfloat16 ulp and leave the passes' copy on the device`, async () => {
    const src = await openModel(modelPath('tiny-llama'));
    const n = src.config.hiddenSize;
    const runner = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', passDtype });
    try {
      const engine = deviceEngine(runner);
      const qa = await pcaQ(n, 1);
      const qb = await pcaQ(n, 2);
      const keep = n - 64;
      const reader: Linear = { weight: { rows: 3 * n, cols: n, data: rand(3 * n * n, 5) } };
      const writer: Linear = { weight: { rows: n, cols: 2 * n, data: rand(2 * n * n, 6) }, bias: rand(n, 7) };
      const cases = [
        ['reader', (await engine.rotateReader(reader, { q: qa, n }, keep)).weight, (await rotateReader(reader, { q: qa, n }, keep)).weight],
        ['writer', (await engine.rotateWriter(writer, { q: qa, n }, keep)).weight, (await rotateWriter(writer, { q: qa, n }, keep)).weight],
        ['shortcut', await engine.shortcut(qa, qb, n, keep, keep - 8), await shortcutMatrix(qa, qb, n, keep, keep - 8)],
      ] as const;
      for (const [what, got, exact] of cases) {
        assert.deepEqual([got.rows, got.cols], [exact.rows, exact.cols], what);
        const e = rotationError(got.data, exact.data);
        assert.ok(e.maxAbsOverMax < 2e-6, `${what}: max |error| / max ${e.maxAbsOverMax}`);
        assert.ok(e.f16MaxUlps <= 1 && e.bf16MaxUlps <= 1, `${what}: ${e.f16MaxUlps} float16 / ${e.bf16MaxUlps} bfloat16 ulps`);
        assert.ok(e.f16Mismatch < 0.01, `${what}: ${e.f16Mismatch} of the float16 values differ`);
      }
      // The passes' copy is the host product transposed to in × out (rounded to float16 for f16 passes). ORT
      // may compute the two layouts with differently fused kernels, so they agree to float32 rounding, which
      // can move a float16 value by one unit.
      const dev = runner.device!;
      const q = await dev.upload(Float32Array.from(qa.subarray(0, n * n)), n, n);
      const host = (w: Linear) => ({ rows: w.weight.rows, cols: w.weight.cols, host: w.weight.data, half: null });
      const products = await dev.products(
        [
          { op: 'mulRight', w: host(reader), q, hostHalf: false },
          { op: 'mulLeftT', w: host(writer), q, hostHalf: false },
        ],
        passDtype === 'f16',
      );
      for (const p of products.map((r) => ({ ...r, host: r.host! }))) {
        assert.deepEqual(p.pass.dims, [p.cols, p.rows]);
        const pass = passDtype === 'f16' ? Array.from(p.pass.data as Uint16Array, halfToNumber) : Array.from(p.pass.data as Float32Array);
        for (let r = 0; r < p.rows; r += 7)
          for (let c = 0; c < p.cols; c += 5) {
            const h = p.host[r * p.cols + c];
            const tol = passDtype === 'f16' ? 2 ** (Math.max(Math.floor(Math.log2(Math.abs(h) || 1e-30)), -14) - 10) : 1e-6 * Math.abs(h) + 1e-9;
            const want = passDtype === 'f16' ? toF16(h) : h;
            assert.ok(Math.abs(pass[c * p.rows + r] - want) <= tol, `pass copy [${c},${r}]: ${pass[c * p.rows + r]} vs ${want}`);
          }
      }
      // The writer's bias stays a float64 product.
      const wb = (await engine.rotateWriter(writer, { q: qa, n }, keep)).bias!;
      assert.deepEqual(Array.from(wb), Array.from((await rotateWriter(writer, { q: qa, n }, keep)).bias!));
      await engine.endLayer();
    } finally {
      await runner.dispose();
    }
  });
}
