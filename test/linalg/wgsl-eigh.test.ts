// The WGSL eigensolver's shaders and orchestration (core/linalg/wgsl-eigh.ts) for real, on Chromium's
// WebGPU with the SwiftShader adapter (Dawn for Node finds no adapter on CI machines; the shaders are the
// same WGSL a GPU runs, in float32): float32-level residual and orthogonality, and the float64 solver's
// eigenvalues to float32 precision — single block, several compact-WY blocks, clustered spectra, the
// tridiagonalization blocked in panels (several, a partial one, one smaller than n) and unblocked, the
// device merges' M built on the device (deflations and rotations) as accurate as when built on the host,
// and the blocked d, e as close to the float64 reduction's as the unblocked ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM_HINT, findChromium } from '../../scripts/chromium.mjs';
import { eigh } from '../../core/linalg/eigh';
import { tridiagonalize } from '../../core/linalg/tridiagonalize';
import { isDescending, orthogonality, randomSymmetric, residual, withSpectrum } from './check';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

async function pageBundle(): Promise<string> {
  const out = await build({
    entryPoints: [here('./wgsl-browser/entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
    // the D&C's secular equation in place: worker threads are Node's
    define: { 'process.env.SLICE_STUDIO_SECULAR_THREADS': '"1"' },
    plugins: [
      {
        name: 'page-stand-ins',
        setup(b) {
          b.onResolve({ filter: /\/matmul$/ }, () => ({ path: here('./wgsl-browser/matmul.ts') }));
          b.onResolve({ filter: /^node:os$/ }, () => ({ path: here('./wgsl-browser/node-os.ts') }));
          b.onResolve({ filter: /^node:worker_threads$/ }, () => ({ path: here('./wgsl-browser/node-worker-threads.ts') }));
          b.onResolve({ filter: /^node:fs$/ }, () => ({ path: here('./wgsl-browser/node-fs.ts') }));
          b.onResolve({ filter: /^node:path$/ }, () => ({ path: here('./wgsl-browser/node-path.ts') }));
          b.onResolve({ filter: /^onnxruntime-node$/ }, () => ({ path: here('./wgsl-browser/onnxruntime.ts') }));
        },
      },
    ],
  });
  return out.outputFiles[0].text;
}

type PageResult = { values: number[]; vectors: number[]; float32: boolean; adapter: string; timings: Record<string, number> } | { unavailable: string } | { error: string };

test('the WGSL eigensolver diagonalizes to float32 accuracy on a WebGPU adapter (SwiftShader), eigenvalues equal to float64 to 1e-6', { timeout: 600_000 }, async (t) => {
  const executablePath = findChromium();
  if (!executablePath) {
    if (process.env.CI) assert.fail(`no Chromium found; ${CHROMIUM_HINT}`);
    return t.skip(`no Chromium: ${CHROMIUM_HINT}`);
  }
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'] });
  try {
    const page = await browser.newPage();
    // WebGPU needs a secure context: a routed localhost page (nothing listens there).
    await page.route('http://localhost/', (r) => r.fulfill({ body: '<html></html>', contentType: 'text/html' }));
    await page.goto('http://localhost/');
    await page.addScriptTag({ content: await pageBundle() });
    const clustered = await withSpectrum(
      Array.from({ length: 100 }, (_, i) => (i < 3 ? 1 : i < 50 ? 2 : i < 90 ? -0.5 : 7 + 1e-9 * i)),
      11,
    );
    // Four tight clusters and a spread: the D&C deflates and rotates at every level.
    const clustered400 = await withSpectrum(
      Array.from({ length: 400 }, (_, i) => (i < 60 ? 1 : i < 160 ? 2 + 1e-10 * i : i < 260 ? -0.5 : i < 300 ? 3 : 4 + i / 100)),
      12,
    );
    // Three clusters and a spread over 300 = 4 × 64 + 44: four trailing updates and a partial last panel.
    const clustered300 = await withSpectrum(
      Array.from({ length: 300 }, (_, i) => (i < 70 ? 1.5 : i < 150 ? -1 + 1e-10 * i : i < 200 ? 0.25 : 2 + i / 50)),
      13,
    );
    // Glued Wilkinson W21 blocks (coupled by 1e-7), as a dense matrix: the reduction leaves it tridiagonal
    // and its eigenvalues come in pairs ~1e-14 apart, so device merges rotate as well as deflate.
    const glued210 = new Float64Array(210 * 210);
    for (let i = 0; i < 210; i++) glued210[i * 210 + i] = Math.abs(10 - (i % 21));
    for (let i = 0; i < 209; i++) glued210[i * 210 + i + 1] = glued210[(i + 1) * 210 + i] = i % 21 === 20 ? 1e-7 : 1;
    // n = 5: no divide-and-conquer merge (the vectors go up from the host); 40: the top merge's product on
    // the device; 130: two compact-WY blocks of the back-transformation (129 reflectors, blocks of 128), and
    // with deviceMergeMin 32 every lower merge's vectors on the device too; clustered n = 400 with
    // deviceMergeMin 64: three levels of device-resident merges (400, 200, 100) over host ones (50, 25).
    // The tridiagonalization is blocked in panels of 32 unless a case says otherwise: n = 20 is one partial
    // panel, clustered n = 300 panels of 64 with a partial last one; panel 1 is the unblocked path.
    type Opts = { deviceMergeMin?: number; panel?: number; hostMergeMatrix?: boolean; float32Vectors?: boolean };
    const cases: [string, Float64Array, number, Opts][] = [
      ['n=5', randomSymmetric(5, 1), 5, {}],
      ['n=20, one partial panel', randomSymmetric(20, 5), 20, {}],
      ['n=40', randomSymmetric(40, 2), 40, {}],
      ['n=130', randomSymmetric(130, 3), 130, {}],
      ['n=130, unblocked (panel 1)', randomSymmetric(130, 3), 130, { panel: 1 }],
      ['n=130, lower merges on the device', randomSymmetric(130, 4), 130, { deviceMergeMin: 32 }],
      ['clustered n=100', clustered, 100, { deviceMergeMin: 32 }],
      ['clustered n=300, panels of 64', clustered300, 300, { panel: 64 }],
      ['clustered n=400, three device merge levels', clustered400, 400, { deviceMergeMin: 64 }],
      ['glued Wilkinson n=210, device merges with rotations', glued210, 210, { deviceMergeMin: 32 }],
    ];
    type Solve = (a: number[], n: number, opts: Opts) => Promise<PageResult>;
    const solve = async (label: string, a: Float64Array, n: number, opts: Opts) => {
      const r = await page.evaluate(([a, n, o]) => (globalThis as unknown as { eighWgsl: Solve }).eighWgsl(a, n, o), [[...a], n, opts] as [number[], number, Opts]);
      if ('error' in r) assert.fail(`${label}: ${r.error}`);
      return r;
    };
    /** Residual, orthogonality and the eigenvalues' largest difference from float64's (of the largest). */
    const accuracy = async (a: Float64Array, n: number, r: { values: number[]; vectors: number[] }) => {
      const values = Float64Array.from(r.values);
      const vectors = Float64Array.from(r.vectors);
      const ref = await eigh(a, n);
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < n; i++) {
        scale = Math.max(scale, Math.abs(ref.values[i]));
        diff = Math.max(diff, Math.abs(values[i] - ref.values[i]));
      }
      return { descending: isDescending(values), res: await residual(a, n, values, vectors), orth: await orthogonality(vectors, n), diff: diff / scale };
    };
    for (const [label, a, n, opts] of cases) {
      const mergeMin = opts.deviceMergeMin;
      const r = await solve(label, a, n, opts);
      if ('unavailable' in r) {
        if (process.env.CI) assert.fail(`Chromium has no WebGPU adapter: ${r.unavailable}`);
        return t.skip(`Chromium has no WebGPU adapter: ${r.unavailable}`);
      }
      // Lower merges on the device keep their first/last rows on the host (.rows); none without them.
      const timed = (key: string) => `tridiagonalSolve.${key}` in r.timings;
      assert.equal(timed('rows'), mergeMin !== undefined && n > 2 * mergeMin, `${label}: lower merges on the device`);
      assert.equal(timed('secular') && timed('buildM') && timed('upload') && timed('gemm'), n > 32, `${label}: merge timings`);
      const { descending, res, orth, diff } = await accuracy(a, n, r);
      assert.ok(descending, `${label}: values are sorted descending`);
      assert.ok(res <= 1e-5, `${label}: ‖AV − VΛ‖/‖A‖ = ${res}`);
      assert.ok(orth <= 1e-4, `${label}: ‖VᵀV − I‖ = ${orth}`);
      assert.ok(diff <= 1e-6, `${label}: eigenvalues differ from float64 by ${diff} of the largest`);
      // The glued case (three device merge levels that deflate and rotate) again with M built on the host and
      // uploaded (the earlier path): the device-built M (the default) is as accurate.
      if (label.startsWith('glued')) {
        const h = await solve(label, a, n, { ...opts, hostMergeMatrix: true });
        if ('unavailable' in h) return t.skip(h.unavailable);
        const host = await accuracy(a, n, h);
        t.diagnostic(
          `${label}: device-built M residual ${res.toExponential(2)}, orthogonality ${orth.toExponential(2)}, eigenvalues ${diff.toExponential(2)}; host-built ${host.res.toExponential(2)}, ${host.orth.toExponential(2)}, ${host.diff.toExponential(2)}`,
        );
        assert.ok(res <= 2 * host.res + 1e-7 && orth <= 2 * host.orth + 1e-6 && diff <= 2 * host.diff + 1e-7, `${label}: device-built M (${res}, ${orth}, ${diff}) against host-built (${host.res}, ${host.orth}, ${host.diff})`);
      }
    }
    // float32Vectors (the vectors as they came down, as the device engine's PCA asks) gives the very values and
    // vectors of the default call, the vectors as float32.
    const sym = randomSymmetric(130, 7);
    const plain = await solve('n=130 default', sym, 130, {});
    const pca = await solve('n=130 float32Vectors', sym, 130, { float32Vectors: true });
    if ('unavailable' in plain || 'unavailable' in pca) return t.skip('no adapter');
    assert.equal(plain.float32, false);
    assert.equal(pca.float32, true);
    assert.deepEqual(pca.values, plain.values);
    assert.deepEqual(pca.vectors, plain.vectors);
    // The blocked reduction (panels of 64 and 32; n = 300 is a multiple of neither) is as close to the
    // float64 reduction of the same float32 matrix as the unblocked one. The reduction is not forward
    // stable (float32 d, e differ from float64's by ~5e-4 of the largest here), so the paths agree to that
    // level, not bitwise; e is compared in magnitude (its sign is a convention).
    type Tri = (a: number[], n: number, panel: number) => Promise<{ d: number[]; e: number[]; tau: number[] } | { error: string }>;
    const tridiagonal = async (a: Float64Array, n: number, panel: number) => {
      const r = await page.evaluate(([a, n, p]) => (globalThis as unknown as { tridiagonalWgsl: Tri }).tridiagonalWgsl(a, n, p), [[...a], n, panel] as [number[], number, number]);
      if ('error' in r) assert.fail(`tridiagonalize, panel ${panel}: ${r.error}`);
      return r;
    };
    const a300 = randomSymmetric(300, 6);
    const ref = await tridiagonalize(Float64Array.from(Float32Array.from(a300)), 300);
    const gaps = (r: { d: number[]; e: number[] }) => ({
      d: Math.max(...r.d.map((v, i) => Math.abs(v - ref.d[i]))),
      e: Math.max(...r.e.map((v, i) => Math.abs(Math.abs(v) - Math.abs(ref.e[i])))),
    });
    const unblocked = gaps(await tridiagonal(a300, 300, 1));
    const scale = Math.max(...ref.d.map(Math.abs), ...ref.e.map(Math.abs));
    assert.ok(unblocked.d <= 1e-3 * scale && unblocked.e <= 1e-3 * scale, `unblocked: d, e differ from float64 by ${unblocked.d / scale}, ${unblocked.e / scale} of the largest`);
    for (const panel of [64, 32]) {
      const blocked = gaps(await tridiagonal(a300, 300, panel));
      assert.ok(blocked.d <= 2 * unblocked.d && blocked.e <= 2 * unblocked.e, `panel ${panel}: d, e differ from float64 by ${blocked.d}, ${blocked.e}; unblocked by ${unblocked.d}, ${unblocked.e}`);
    }
  } finally {
    await browser.close();
  }
});
