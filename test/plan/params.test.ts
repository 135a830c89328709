import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../core/model/config';
import { readSafetensorsHeader } from '../../core/model/safetensors';
import { countParams, denseParams, slicedDim, slicedShapes, slicedParams, PlanInputError } from '../../core/plan/params';
import { published, configsDir, modelsDir } from './configs';

test('dense parameter counts reproduce every known count in the configs README', () => {
  const readme = readFileSync(join(configsDir, 'README.md'), 'utf8');
  const known: [string, string, number][] = [
    ['Llama-2-7B', 'llama-2-7b-hf', 6_738_415_616],
    ['Llama-2-13B', 'llama-2-13b-hf', 13_015_864_320],
    ['Llama-2-70B', 'llama-2-70b-hf', 68_976_648_192],
    ['OPT-125m', 'opt-125m', 125_239_296],
    ['OPT-1.3b', 'opt-1.3b', 1_315_758_080],
    ['Phi-2', 'phi-2', 2_779_683_840],
    ['Mistral-7B-v0.1', 'mistral-7b-v0.1', 7_241_732_096],
    ['Meta-Llama-3-8B', 'meta-llama-3-8b', 8_030_261_248],
  ];
  for (const [label, file, count] of known) {
    assert.ok(readme.includes(`${label} ${count.toLocaleString('en-US')}`), `README lists ${label} ${count}`);
    assert.equal(denseParams(published(file)), count, label);
  }
});

test('qwen2 counts q/k/v biases but no o bias (Qwen2-7B by hand)', () => {
  const V = 152064,
    D = 3584,
    I = 18944,
    L = 28,
    kv = 4 * 128;
  const layer = D * D + D + 2 * (D * kv + kv) + D * D + 3 * D * I + 2 * D; // q+bias, k/v+bias, o, SwiGLU, 2 RMSNorms
  const total = V * D + L * layer + D + V * D; // embedding, layers, final norm, untied head
  assert.equal(total, 7_615_616_512);
  assert.equal(denseParams(published('qwen2-7b')), total);
});

test('dense counts equal the tensors stored in the shared tiny models', async () => {
  for (const m of ['tiny-llama', 'tiny-opt', 'tiny-phi', 'tiny-stories']) {
    const dir = join(modelsDir, m);
    const config = parseConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
    const { tensors } = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    const stored = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    assert.equal(denseParams(config), stored, m);
  }
});

test('LLaMA-2-70B sliced 25% keeps d = 6144 and counts its shortcut matrices', () => {
  const c = published('llama-2-70b-hf');
  const D = 8192,
    V = 32000,
    I = 28672,
    L = 80,
    q = 64 * 128,
    kv = 8 * 128;
  const d = 0.75 * D;
  assert.equal(d, 6144);
  assert.equal(slicedDim(D, 0.25), d);
  // q/k/v and gate/up read d; o writes d; down writes d (D in the last layer, for the unsliced head).
  const linears = d * q + 2 * d * kv + q * d + 2 * I * d + d * I;
  const lastLinears = d * q + 2 * d * kv + q * d + 2 * I * d + D * I;
  const shortcuts = (L - 1) * 2 * d * d + (d * d + d * D); // last MLP shortcut is d×D
  const total = V * d + (L - 1) * linears + lastLinears + shortcuts + V * D; // norms fused: no parameters
  assert.equal(total, 57_908_133_888);
  const count = countParams(slicedShapes(c, { ratio: 0.25 }));
  assert.equal(count.total, total);
  assert.equal(count.shortcuts, shortcuts);
  assert.equal(count.embedding, V * d);
  assert.equal(count.head, V * D);
});

test('phi-2 has one shortcut per layer (parallel attention and MLP)', () => {
  const c = published('phi-2');
  const D = 2560,
    d = 1920,
    I = 10240,
    V = 51200,
    L = 32;
  const shapes = slicedShapes(c, { ratio: 0.25 });
  assert.equal(shapes.d, d);
  assert.equal(shapes.layers.flat().filter((s) => s.role === 'shortcut').length, L);
  const shortcuts = (L - 1) * d * d + d * D;
  assert.equal(countParams(shapes).shortcuts, shortcuts);
  // q/k/v read d (+ biases), dense writes d (+ bias d), fc1 reads d (+ bias), fc2 writes d (+ bias d); the last layer writes D.
  const layer = (out: number) => 3 * (d * D + D) + (D * out + out) + (I * d + I) + (out * I + out);
  const total = V * d + (L - 1) * (layer(d) + d * d) + layer(D) + d * D + (V * D + V); // head keeps its bias
  assert.equal(countParams(shapes).total, total);
});

test('OPT counts a tied head once and positions with offset 2; its slice keeps the tied table once, with two D-row factors', () => {
  const c = published('opt-125m');
  const V = 50272,
    D = 768,
    I = 3072,
    L = 12,
    P = 2048 + 2;
  const layer = 4 * (D * D + D) + (D * I + I) + (I * D + D) + 2 * 2 * D; // q/k/v/o with biases, fc1, fc2, two LayerNorms
  assert.equal(V * D + P * D + L * layer + 2 * D, 125_239_296); // no head term: tied
  assert.equal(denseParams(c), 125_239_296);
  const s = slicedShapes(c, { ratio: 0.25 });
  const d = 576;
  assert.equal(s.d, d);
  // The embedding is E (V×D, as the model stores it) times a D×d factor; the positions are rotated and sliced.
  assert.deepEqual(
    s.embedding.map((t) => [t.name, t.rows, t.rowLength]),
    [
      ['embed_tokens', V, D],
      ['embed_projection', D, d],
      ['embed_positions', P, d],
    ],
  );
  // The head reads the same E: only its D×D factor (unsliced head) and the final LayerNorm's shift (D) are stored.
  assert.equal(countParams(s).head, D * D + D);
  assert.ok(s.tiedHead);
  assert.ok(slicedParams(c, { ratio: 0.25 }) < denseParams(c), 'OPT-125m shrinks at 25 % now that the head is not a second V×D matrix');
});

test('d rounds down to the multiple the export format needs', () => {
  assert.equal(slicedDim(4096, 0.3), 2864); // floor(0.7·4096 = 2867.2) = 2867 → 2864
  assert.equal(slicedDim(4096, 0.3, 32), 2848);
  assert.equal(slicedDim(4096, 0.3, 256), 2816);
  assert.equal(slicedDim(100, 0.3, 1), 70); // (1 − 0.3)·100 is 69.999… in binary; must not floor to 69
  assert.equal(slicedDim(4096, 0), 4096);
});

test('impossible ratios are one-line PlanInputErrors', () => {
  assert.throws(
    () => slicedDim(4096, 1),
    (e: Error) => e instanceof PlanInputError && /outside \[0, 1\)/.test(e.message),
  );
  assert.throws(
    () => slicedDim(256, 0.01, 256),
    (e: Error) => e instanceof PlanInputError && /leaves nothing/.test(e.message),
  );
  assert.throws(() => slicedDim(4096, -0.1), PlanInputError);
});

test('uniform rotation drops the shortcuts and slices the head', () => {
  const c = published('llama-2-7b-hf');
  const D = 4096,
    d = 3072,
    V = 32000,
    I = 11008,
    L = 32;
  const s = slicedShapes(c, { ratio: 0.25, rotation: 'uniform' });
  const layer = 4 * d * D + 3 * d * I + 2 * d; // q/k/v/o, SwiGLU, two RMSNorm weights of width d
  assert.equal(countParams(s).shortcuts, 0);
  assert.equal(countParams(s).total, V * d + L * layer + d + V * d);
});
