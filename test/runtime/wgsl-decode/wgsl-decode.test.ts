// The WGSL decoder (core/runtime/wgsl-decode) for real, on Chromium's WebGPU with the SwiftShader adapter
// (Dawn for Node finds no adapter on CI machines; the kernels are the same WGSL a GPU runs), against the ORT
// CPU path (decode-step.ts greedyDecode and its logits): 16 greedy steps after the prompt on tiny-llama dense,
// sliced 25 % (shortcut GEMVs; a 70-token prompt, so the scores span two workgroups) and sliced 30 % to an odd
// width, tiny-opt (LayerNorm, biases, ReLU, learned positions), tiny-phi (parallel blocks, partial rotary,
// gelu_new) and a random float32 qwen2 (q/k/v biases, 4:1 GQA, tied head), with float32 and float16-packed
// weights. SwiftShader's cost grows with the GEMV's threads (~1 s a token at 32 lanes a row, ~0.2 s at 8), so
// most cases run the GEMV at 8 lanes and one case at the default shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_HINT, findChromium } from '../../../scripts/chromium.mjs';
import { openAnyModel } from '../../../core/slicegpt/open';
import { sliceModel } from '../../../core/slicegpt/slice-model';
import { quietContext } from '../../../core/base/job-context';
import { createBlockRunner, withBlockRunner } from '../../../core/runtime/runner';
import { generateIds } from '../../../core/runtime/generate';
import { forwardCached, greedyDecode, headLogits, LayerCaches, loadDecodeWeights, type DecodeWeights } from '../../../core/runtime/decode-step';
import { argmax } from '../../../core/runtime/sampling';
import type { ModelSource } from '../../../core/model/model-source';
import { modelPath, sliceOptions } from '../../slicegpt/helpers';
import { toWire } from './weights-wire';
import { writeRandomModel } from '../random-folder';
import type { DecodeRequest, SequenceRequest } from './page/entry';
import type { GemvShape, WeightType } from '../../../core/runtime/wgsl-decode/gemv-shader';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const linalgPage = (p: string) => fileURLToPath(new URL(`../../linalg/wgsl-browser/${p}`, import.meta.url));
const STEPS = 16;
const SHORT = [1, 450, 1955, 310, 278, 3303, 338];
// 70 tokens: the scores kernel spans two workgroups of positions.
const LONG = Array.from({ length: 70 }, (_, i) => SHORT[i % 7] + (i > 6 ? i : 0));
const NARROW: GemvShape = { lanes: 8, rows: 8 };

async function pageBundle(): Promise<string> {
  const out = await build({
    entryPoints: [here('./page/entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
    plugins: [
      {
        name: 'page-stand-ins',
        setup(b) {
          b.onResolve({ filter: /^node:fs$/ }, () => ({ path: linalgPage('node-fs.ts') }));
          b.onResolve({ filter: /^node:path$/ }, () => ({ path: linalgPage('node-path.ts') }));
        },
      },
    ],
  });
  return out.outputFiles[0].text;
}

/** ORT on the CPU: the greedy ids (greedyDecode) and the logits after the prompt and after each step. */
async function reference(src: ModelSource, w: DecodeWeights, ids0: number[]): Promise<{ ids: number[]; logits: Float32Array[] }> {
  const r = await createBlockRunner(src.arch, { ep: 'cpu' });
  const caches = new LayerCaches(w.layers.length);
  try {
    const prompt = Int32Array.from(ids0);
    const ids = (await greedyDecode(r, w, prompt, 1, STEPS)).map((a) => a[0]);
    const logits = [await headLogits(r, w.head, await forwardCached(r, w, prompt, 1, prompt.length, 0, caches), 1)];
    for (let i = 0; i < STEPS; i++) logits.push(await headLogits(r, w.head, await forwardCached(r, w, Int32Array.of(argmax(logits[i])), 1, 1, prompt.length + i, caches), 1));
    return { ids, logits };
  } finally {
    caches.release();
    await r.dispose();
  }
}

/** Largest |a − b| relative to the largest |a|. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(a[i]));
  }
  return d / m;
}

type PageResult = { ids: number[]; greedy: number[] | null; logits: number[][]; adapter: string; deviceBytes: number } | { unavailable: string } | { error: string };

let dir: string;
const temps: string[] = [];
let browser: Browser | undefined;
let page: Page | undefined;
let noDevice: string | undefined;
const served = new Map<string, { body: Buffer; contentType: string }>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wgsl-decode-'));
  await sliceModel(quietContext(), sliceOptions(modelPath('tiny-llama'), join(dir, 'tiny-llama-25')));
  // An odd residual width (256 · 0.7 = 179.2 → 179, no rounding): GEMV rows end mid-word, the embedding's
  // float16 rows straddle u32s.
  await sliceModel(quietContext(), sliceOptions(modelPath('tiny-llama'), join(dir, 'tiny-llama-odd'), { ratio: 0.3, round: 1 }));
  const executablePath = findChromium();
  if (!executablePath) {
    noDevice = `no Chromium: ${CHROMIUM_HINT}`;
    return;
  }
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'] });
  page = await browser.newPage();
  // WebGPU needs a secure context: a routed localhost page (nothing listens there); the weights are routed too.
  await page.route(/^http:\/\/localhost\//, (r) => {
    const path = new URL(r.request().url()).pathname.slice(1);
    const file = served.get(path);
    return r.fulfill(file ?? { body: '<html></html>', contentType: 'text/html' });
  });
  await page.goto('http://localhost/');
  await page.addScriptTag({ content: await pageBundle() });
});
after(async () => {
  await browser?.close();
  for (const d of [dir, ...temps]) rmSync(d, { recursive: true, force: true });
});

// Measured on SwiftShader: ≤ 1.4e-6 of the largest logit for the shared models, float32 and float16 weights
// alike — these checkpoints' weights are float16 already (the slice is saved as float16 too), so packing them
// loses nothing and the difference is float32 summation order; the bound is ~7× the largest seen. A float32
// checkpoint (random qwen2) packed to float16 differs by the weights' float16 rounding: 3.5e-4 measured, bound
// 3e-3, with ORT's tokens fed so that a near-tie cannot send the two down different sequences.
const TOLERANCE: Record<WeightType, number> = { float32: 1e-5, float16: 1e-5 };

interface Case {
  model: string;
  /** The folder: shared, the test's slice of tiny-llama, or a random float32 checkpoint. */
  folder: () => Promise<string>;
  sliced?: boolean;
  prompt: number[];
  gemv?: GemvShape;
  weights: WeightType[];
  greedy?: boolean;
  /** float16 weights that round a float32 checkpoint: this bound, ORT's ids fed (a near-tie may pick another). */
  roundedHalf?: number;
}

const shared = (m: string) => () => Promise.resolve(modelPath(m));
const slice = () => Promise.resolve(join(dir, 'tiny-llama-25'));
const CASES: Case[] = [
  { model: 'tiny-llama', folder: shared('tiny-llama'), prompt: SHORT, gemv: NARROW, weights: ['float32', 'float16'], greedy: true },
  { model: 'tiny-llama', folder: slice, sliced: true, prompt: LONG, gemv: NARROW, weights: ['float32', 'float16'] },
  { model: 'tiny-opt', folder: shared('tiny-opt'), prompt: SHORT, gemv: NARROW, weights: ['float32', 'float16'] },
  { model: 'tiny-phi', folder: shared('tiny-phi'), prompt: SHORT, gemv: NARROW, weights: ['float32', 'float16'] },
  { model: 'tiny-llama', folder: slice, sliced: true, prompt: SHORT, weights: ['float16'] },
  { model: 'tiny-llama (odd width)', folder: () => Promise.resolve(join(dir, 'tiny-llama-odd')), sliced: true, prompt: SHORT, gemv: NARROW, weights: ['float32', 'float16'] },
  // q/k/v biases, 4 query heads on 1 KV head, a tied head; float32 weights.
  { model: 'random qwen2', folder: async () => temps[temps.push(await writeRandomModel('qwen2', 11)) - 1], prompt: [1, 5, 9, 33, 2, 60, 17], gemv: NARROW, weights: ['float32', 'float16'], roundedHalf: 3e-3 },
];

for (const c of CASES) {
  const what = `${c.model} ${c.sliced ? 'sliced 25 %' : 'dense'}, ${c.prompt.length}-token prompt, ${c.weights.join(' and ')} weights, GEMV ${c.gemv ? `${c.gemv.lanes} lanes × ${c.gemv.rows} rows` : 'default shape'}`;
  test(`WGSL decoding on WebGPU (SwiftShader) gives ORT CPU's greedy tokens for ${STEPS} steps and its logits: ${what}`, { timeout: 600_000 }, async (t) => {
    if (noDevice || !page) {
      if (process.env.CI) assert.fail(noDevice);
      return t.skip(noDevice);
    }
    const src = await openAnyModel(await c.folder());
    const w = await loadDecodeWeights(src);
    if (c.model.includes('odd')) assert.equal(w.layers[0].kind === 'sequential' && w.layers[0].attn.q.weight.cols % 2, 1, 'an odd width');
    if (c.sliced)
      assert.ok(
        w.layers.some((l) => l.kind === 'sequential' && (l.attn.shortcut || l.mlp.shortcut)),
        'the slice carries shortcut matrices',
      );
    const ref = await reference(src, w, c.prompt);
    const name = `${c.model.replace(/\W+/g, '-')}-${c.sliced ? 'sliced' : 'dense'}`;
    const { json, blob } = toWire(w);
    served.set(`${name}.json`, { body: Buffer.from(json), contentType: 'application/json' });
    served.set(`${name}.bin`, { body: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength), contentType: 'application/octet-stream' });
    for (const weights of c.weights) {
      const rounded = weights === 'float16' && c.roundedHalf !== undefined;
      const req: DecodeRequest = { name, arch: src.arch, prompt: c.prompt, steps: STEPS, weights, greedy: !!c.greedy && weights === 'float16', ...(c.gemv ? { gemv: c.gemv } : {}), ...(rounded ? { follow: ref.ids } : {}) };
      const r: PageResult = await page.evaluate((q) => (globalThis as unknown as { decodeWgsl: (q: DecodeRequest) => Promise<PageResult> }).decodeWgsl(q), req);
      if ('unavailable' in r) {
        if (process.env.CI) assert.fail(`Chromium has no WebGPU adapter: ${r.unavailable}`);
        return t.skip(`Chromium has no WebGPU adapter: ${r.unavailable}`);
      }
      if ('error' in r) assert.fail(`${weights}: ${r.error}`);
      const diffs = r.logits.map((l, i) => relDiff(ref.logits[i], l));
      const same = r.ids.filter((id, i) => id === ref.ids[i]).length;
      t.diagnostic(`${weights}: largest logits difference ${Math.max(...diffs).toExponential(2)} of the largest logit, ${same}/${r.ids.length} argmaxes equal (${r.adapter}, ${(r.deviceBytes / 2 ** 20).toFixed(1)} MiB on the device)`);
      if (!rounded) assert.deepEqual(r.ids, ref.ids, `${weights}: the greedy tokens`);
      if (r.greedy) assert.deepEqual(r.greedy, ref.ids, `${weights}: greedyDecodeWgsl's tokens`);
      const bound = rounded ? c.roundedHalf! : TOLERANCE[weights];
      diffs.forEach((d, i) => assert.ok(d <= bound, `${weights}, step ${i}: logits differ by ${d} of the largest`));
    }
  });
}

test('generate.ts on the WGSL decoder (openWgslSequence) continues tiny-llama as generateIds does with ORT on the CPU, greedy and sampled', { timeout: 600_000 }, async (t) => {
  if (noDevice || !page) {
    if (process.env.CI) assert.fail(noDevice);
    return t.skip(noDevice);
  }
  const src = await openAnyModel(modelPath('tiny-llama'));
  const w = await loadDecodeWeights(src);
  const { json, blob } = toWire(w);
  served.set('sequence.json', { body: Buffer.from(json), contentType: 'application/json' });
  served.set('sequence.bin', { body: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength), contentType: 'application/octet-stream' });
  for (const sampling of [undefined, { temperature: 0.8, topP: 0.9, seed: 3 }]) {
    const opts = { maxNewTokens: 12, stopIds: [], ...(sampling ? { sampling } : {}) };
    const ref = await withBlockRunner(src.arch, { ep: 'cpu' }, (r) => generateIds(src, r, SHORT, opts, undefined, w));
    const req: SequenceRequest = { name: 'sequence', arch: src.arch, prompt: SHORT, maxNewTokens: 12, gemv: NARROW, ...(sampling ? { sampling } : {}) };
    type Result = { ids: number[] } | { unavailable: string } | { error: string };
    const r: Result = await page.evaluate((q) => (globalThis as unknown as { sequenceWgsl: (q: SequenceRequest) => Promise<Result> }).sequenceWgsl(q), req);
    if ('unavailable' in r) return t.skip(`Chromium has no WebGPU adapter: ${r.unavailable}`);
    if ('error' in r) assert.fail(r.error);
    assert.equal(r.ids.length, 12);
    assert.deepEqual(r.ids, ref.ids, sampling ? 'sampled' : 'greedy');
  }
});
