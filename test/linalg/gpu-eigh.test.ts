// The GPU-path eigensolver (core/linalg/gpu-eigh.ts) with its graphs on the CPU EP, where they run in
// float32 exactly as on a GPU: float32-level residual and orthogonality, and the float64 solver's
// eigenvalues to float32 precision — on random matrices and on the calibration Gram matrices of real
// slices of the shared models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eigh } from '../../core/linalg/eigh';
import { eighGpu } from '../../core/linalg/gpu-eigh';
import { quietContext } from '../../core/base/job-context';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { principalDirections, type SecondMoment } from '../../core/slicegpt/pca';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { modelPath } from '../slicegpt/helpers';
import { isDescending, orthogonality, randomSymmetric, residual, withSpectrum } from './check';

// Float32 bounds (unit roundoff 6e-8) with room for n up to a few hundred: the measured values are
// 1e-6 (residual) and 2e-5 (orthogonality, Frobenius) at n = 513.
const RESIDUAL = 1e-5;
const ORTHOGONALITY = 1e-4;
const EIGENVALUE = 1e-6;

async function assertFloat32Accurate(a: Float64Array, n: number, blockSize?: number, label = `n=${n}`) {
  const r = await eighGpu(a, n, 'cpu', { blockSize });
  const ref = await eigh(a, n);
  assert.ok(isDescending(r.values), `${label}: values are sorted descending`);
  const res = await residual(a, n, r.values, r.vectors);
  const orth = await orthogonality(r.vectors, n);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < n; i++) {
    scale = Math.max(scale, Math.abs(ref.values[i]));
    diff = Math.max(diff, Math.abs(r.values[i] - ref.values[i]));
  }
  assert.ok(res <= RESIDUAL, `${label}: ‖AV − VΛ‖/‖A‖ = ${res}`);
  assert.ok(orth <= ORTHOGONALITY, `${label}: ‖VᵀV − I‖ = ${orth}`);
  assert.ok(diff <= EIGENVALUE * scale, `${label}: eigenvalues differ from float64 by ${diff / scale} of the largest`);
  return r;
}

test('random symmetric matrices are diagonalized to float32 accuracy, eigenvalues equal to the float64 solver to 1e-6', async () => {
  for (const [n, nb] of [
    [3, undefined],
    [4, 2],
    [33, 8],
    [130, 16],
    [300, undefined],
  ] as const)
    await assertFloat32Accurate(randomSymmetric(n, n), n, nb, `n=${n} nb=${nb ?? 'default'}`);
});

test('several panels, a last panel of two columns, and the default width agree with float64', async () => {
  // n = 2 + 4·32: the last panel has m = 2 rows (one reflector).
  await assertFloat32Accurate(randomSymmetric(130, 9), 130, 32);
  await assertFloat32Accurate(randomSymmetric(200, 10), 200);
});

test('repeated and clustered eigenvalues keep an orthonormal eigenbasis', async () => {
  const n = 200;
  const spectrum = Array.from({ length: n }, (_, i) => (i < 3 ? 1 : i < 100 ? 2 : i < 180 ? -0.5 : 7 + 1e-9 * i));
  await assertFloat32Accurate(await withSpectrum(spectrum, 11), n, 32);
});

test('the zero matrix and tiny sizes fall back to the float64 solver', async () => {
  const z = await eighGpu(new Float64Array(25), 5, 'cpu');
  assert.ok(z.values.every((v) => v === 0));
  const r = await eighGpu(Float64Array.of(2, 1, 1, 2), 2, 'cpu');
  assert.deepEqual(
    [...r.values].map((v) => +v.toFixed(12)),
    [3, 1],
  );
});

for (const name of ['tiny-llama', 'tiny-phi'] as const) {
  test(`every calibration Gram matrix of a real ${name} slice is diagonalized to float32 accuracy with the float64 eigenvalues`, async () => {
    const folder = modelPath(name);
    const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0 });
    const moments: Float64Array[] = [];
    const dir = mkdtempSync(join(tmpdir(), `gpu-eigh-${name}-`));
    try {
      // The slice runs on float64 rotations; each signal's damped moment (what the PCA decomposes) is kept.
      await sliceModel(quietContext(), {
        model: folder,
        ratio: 0.25,
        cal: 'wikitext2',
        nsamples: 8,
        seqlen: 128,
        sampling: 'first',
        seed: 0,
        round: 8,
        sliceHead: false,
        out: join(dir, 'out'),
        ep: 'cpu',
        resume: false,
        calibration,
        rotations: async (_s, _l, m: SecondMoment) => {
          const h = m.matrix();
          const n = m.n;
          let trace = 0;
          for (let i = 0; i < n; i++) trace += h[i * n + i];
          for (let i = 0; i < n; i++) h[i * n + i] += (0.01 * trace) / n;
          moments.push(h);
          const r = await principalDirections(m);
          return { q: r.q, eigenvalues: r.eigenvalues };
        },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(moments.length >= 5, `${moments.length} signals`);
    for (const [k, h] of moments.entries()) await assertFloat32Accurate(h, Math.sqrt(h.length), undefined, `${name} signal ${k}`);
  });
}
