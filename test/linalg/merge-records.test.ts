// The divide and conquer's merge log (divide-conquer.ts MergeRecord, eigh's `merges`; bench dc-deflation reads it):
// one record per merge of the recursion, sizes that add up, k ≤ m, and a spectrum with a repeated eigenvalue
// deflating where a generic one hardly does — with the same eigenpairs as a solve that logs nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigh } from '../../core/linalg/eigh';
import type { MergeRecord } from '../../core/linalg/divide-conquer';
import { randomSymmetric, withSpectrum } from './check';

const n = 200;

test('eigh logs every merge: the tree over leaves of ≤ 32, one top merge of n, k ≤ m; the log changes no bit', async () => {
  const a = randomSymmetric(n, 7);
  const merges: MergeRecord[] = [];
  const logged = await eigh(a, n, { merges });
  const plain = await eigh(a, n);
  assert.deepEqual(logged.values, plain.values);
  assert.deepEqual(logged.vectors, plain.vectors);
  // 200 → 100 → 50 → 25: seven merges.
  assert.equal(merges.length, 7);
  assert.deepEqual(
    merges.filter((m) => m.top).map((m) => m.m),
    [n],
  );
  for (const m of merges) {
    assert.equal(m.m, m.n1 + m.n2);
    assert.ok(m.k >= 1 && m.k <= m.m, JSON.stringify(m));
  }
  const kOverM = merges.reduce((s, m) => s + m.k, 0) / merges.reduce((s, m) => s + m.m, 0);
  assert.ok(kOverM > 0.8, `a generic spectrum deflates little: k/m ${kOverM}`);
});

test('a spectrum with one eigenvalue repeated n/2 times deflates about half of the top merge', async () => {
  const values = Array.from({ length: n }, (_, i) => (i < n / 2 ? 1 : 2 + i / n));
  const merges: MergeRecord[] = [];
  await eigh(await withSpectrum(values, 3), n, { merges });
  const top = merges.find((m) => m.top)!;
  assert.ok(top.k <= n / 2 + 2, `top merge k ${top.k} of ${n}`);
  assert.ok(top.uncoupled === false);
});
