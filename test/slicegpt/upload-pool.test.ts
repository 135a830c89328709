// The PCA upload's pair pass on worker threads (core/slicegpt/upload-pool.ts): the workers alone (the caller taking no
// unit, so they are sure to run) must write every entry and find the max bit for bit as one thread does, and report a
// non-finite entry wherever it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairPass, sharedFloat32, stopUploadPool } from '../../core/slicegpt/upload-pool';
import { random32 } from './helpers';

function sharedPair(n: number, seed: number): { s: Float32Array; c: Float32Array } {
  const s = sharedFloat32(n * n);
  const c = sharedFloat32(n * n);
  s.set(random32(n * n, seed, 4));
  c.set(random32(n * n, seed + 1, 2 ** -22));
  return { s, c };
}

test("the workers' pass is the one-thread pass, entry for entry, and the same max", () => {
  for (const n of [5, 64, 131, 302]) {
    const p = sharedPair(n, n);
    const one = new Float32Array(n * n);
    const want = pairPass(p.s, p.c, n, one, 2 ** -3, 1);
    assert.ok(want > 0 && Number.isFinite(want));
    for (const threads of [2, 3]) {
      const out = sharedFloat32(n * n).fill(NaN);
      const got = pairPass(p.s, p.c, n, out, 2 ** -3, threads, false);
      assert.equal(got, want, `n = ${n}, ${threads} threads`);
      // The diagonal is the caller's (dampedUpload writes it after the pass).
      for (let i = 0; i < n; i++) {
        assert.ok(Number.isNaN(out[i * n + i]));
        out[i * n + i] = 0;
      }
      assert.deepEqual(out, new Float32Array(one), `n = ${n}, ${threads} threads`);
    }
  }
});

test('a non-finite entry anywhere makes the max NaN, on the workers as on one thread', () => {
  const n = 131;
  for (const at of [2 * n + 1, 1 * n + 2, 130 * n + 129, 70 * n + 3]) {
    const p = sharedPair(n, 9);
    p.s[at] = Infinity;
    assert.ok(Number.isNaN(pairPass(p.s, p.c, n, new Float32Array(n * n), 1, 1)), `at ${at}`);
    assert.ok(Number.isNaN(pairPass(p.s, p.c, n, sharedFloat32(n * n), 1, 3, false)), `at ${at}, workers`);
  }
});

test('the threaded pass takes only shared memory', () => {
  const p = sharedPair(8, 1);
  assert.throws(() => pairPass(p.s, p.c, 8, new Float32Array(64), 1, 2), RangeError);
});

test("after the job's end stops the workers, the next pass starts fresh ones", async () => {
  const n = 70;
  const p = sharedPair(n, 4);
  const want = new Float32Array(n * n);
  const max = pairPass(p.s, p.c, n, want, 1, 1);
  for (let round = 0; round < 2; round++) {
    await stopUploadPool();
    const out = sharedFloat32(n * n);
    assert.equal(pairPass(p.s, p.c, n, out, 1, 2, false), max);
    assert.deepEqual(out, new Float32Array(want));
  }
  await stopUploadPool();
});
