import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATS, tensorBytes, parseFormat, FormatError } from '../../core/plan/formats';
import { denseShapes, slicedShapes } from '../../core/plan/params';
import { weightBytes, kvBytesPerLayer, workingSet, splitAcrossDevices, slicingJobRam } from '../../core/plan/memory';
import { GiB, MiB } from '../../core/plan/hardware';
import { published } from './configs';

test('LLaMA-2-70B dense in fp16 is 2 bytes × 68,976,648,192 parameters', () => {
  const c = published('llama-2-70b-hf');
  const bytes = 68_976_648_192 * 2;
  assert.equal(bytes, 137_953_296_384); // ≈ 128.5 GiB
  assert.equal(weightBytes(denseShapes(c), FORMATS.fp16).total, bytes);
  assert.equal(weightBytes(denseShapes(c), FORMATS.fp32).total, 2 * bytes);
});

test('Q8_0 stores 34 bytes per 32 weights and keeps norms in f32 (LLaMA-2-7B by hand)', () => {
  const c = published('llama-2-7b-hf');
  const V = 32000,
    D = 4096,
    I = 11008,
    L = 32;
  const matrices = 2 * V * D + L * (4 * D * D + 3 * D * I); // embedding, head, q/k/v/o, SwiGLU
  const norms = (2 * L + 1) * D;
  assert.equal(matrices + norms, 6_738_415_616);
  assert.equal(weightBytes(denseShapes(c), FORMATS.q8_0).total, (matrices / 32) * 34 + norms * 4);
});

test('Q4_0 stores 18 bytes per 32 weights, the head in Q8_0 (34 per 32), as the GGUF exporter writes it (LLaMA-2-70B)', () => {
  const c = published('llama-2-70b-hf');
  const V = 32000,
    D = 8192,
    I = 28672,
    L = 80,
    kv = 1024;
  const layerMatrices = 2 * D * D + 2 * D * kv + 3 * D * I;
  const bytes = ((V * D + L * layerMatrices) / 32) * 18 + ((V * D) / 32) * 34 + (2 * L + 1) * D * 4;
  assert.equal(weightBytes(denseShapes(c), FORMATS.q4_0).total, bytes);
});

test("a row that blocks cannot tile falls back as llama.cpp's quantizer does (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, else F16)", () => {
  // tiny-llama's down_proj rows are 704 long: 704 = 22·32 but not a multiple of 256.
  assert.equal(tensorBytes(256, 704, 'q4_k'), 256 * 22 * 22); // → q5_0
  assert.equal(tensorBytes(256, 704, 'q5_k'), 256 * 22 * 24); // → q5_1
  assert.equal(tensorBytes(256, 704, 'q6_k'), 256 * 22 * 34); // → q8_0
  assert.equal(tensorBytes(256, 100, 'q4_k'), 256 * 100 * 2); // → not even q5_0's 32 fits: f16
  assert.equal(tensorBytes(256, 100, 'q8_0'), 256 * 100 * 2); // → f16
  assert.equal(tensorBytes(4096, 4096, 'q4_k'), 4096 * 16 * 144);
  assert.equal(tensorBytes(4096, 4096, 'q6_k'), 4096 * 16 * 210);
});

test('format names: q8 and q4 mean Q8_0 and Q4_0, unknown ones say what is accepted', () => {
  assert.equal(parseFormat('q8').id, 'q8_0');
  assert.equal(parseFormat('Q4').id, 'q4_0');
  assert.equal(parseFormat('Q4_K_M').id, 'q4_k_m');
  assert.equal(parseFormat('q4_k_s').id, 'q4_k');
  assert.equal(parseFormat('Q5_K_M').id, 'q5_k_m');
  assert.equal(parseFormat('q5_k').round, 256);
  assert.equal(parseFormat('f16').id, 'fp16');
  assert.equal(parseFormat('q4').round, 32);
  assert.equal(parseFormat('q4_k').round, 256);
  assert.throws(
    () => parseFormat('q3'),
    (e: Error) => e instanceof FormatError && /unknown format "q3": use one of/.test(e.message),
  );
});

test('KV cache is 2·layers·kvHeads·headDim·ctx·batch·bytes per element', () => {
  const c70 = published('llama-2-70b-hf');
  assert.equal(80 * kvBytesPerLayer(c70, 4096, 1), 2 * 80 * 8 * 128 * 4096 * 1 * 2); // 1.25 GiB: GQA, 8 KV heads
  const c7 = published('llama-2-7b-hf');
  assert.equal(32 * kvBytesPerLayer(c7, 4096, 1), 2 * GiB); // 2·32·32·128·4096·2
  assert.equal(32 * kvBytesPerLayer(c7, 4096, 3, 'f32'), 3 * 2 * 2 * GiB);
  assert.equal(kvBytesPerLayer(c7, 4096, 1, 'q8_0'), (2 * 32 * 128 * 4096 * 34) / 32);
});

test('activations: one layer for a 512-token chunk plus its attention scores, logits beside the head', () => {
  const c = published('llama-2-70b-hf');
  const w = workingSet(c, 4096, 1);
  assert.equal(w.chunk, 512);
  assert.equal(w.perDevice, 4 * 512 * (4 * 8192 + 2 * 28672) + 4 * 64 * 512 * 4096);
  assert.equal(w.logits, 4 * 512 * 32000);
  assert.equal(workingSet(c, 128, 2).chunk, 128);
});

test('split keeps whole layers in order, the embedding first and the head last', () => {
  const c = published('llama-2-7b-hf');
  const weights = weightBytes(slicedShapes(c, { ratio: 0.25 }), FORMATS.fp16);
  const gpus = [6, 6, 6].map((gb, i) => ({ name: `g${i}`, freeBytes: gb * GiB, totalBytes: gb * GiB }));
  const u = splitAcrossDevices({ config: c, weights, kvPerLayer: kvBytesPerLayer(c, 2048, 1), work: workingSet(c, 2048, 1) }, { gpus, ramFreeBytes: 0 });
  assert.ok(u[0].holdsEmbedding && !u[1].holdsEmbedding);
  const used = u.filter((x) => x.layers !== null);
  assert.ok(used.length >= 2, 'a 25% 7B in fp16 (~10.6 GiB) needs two 6 GB GPUs');
  assert.equal(used[0].layers![0], 0);
  for (let i = 1; i < used.length; i++) assert.equal(used[i].layers![0], used[i - 1].layers![1] + 1);
  assert.equal(used.at(-1)!.layers![1], 31);
  assert.ok(used.at(-1)!.holdsHead);
  assert.ok(u.every((x) => x.fits));
  for (const x of used) assert.equal(x.breakdown.runtime, 512 * MiB);
});

test('a tied head is free beside the embedding and a copy on another GPU (OPT-1.3b)', () => {
  const c = published('opt-1.3b');
  const V = 50272,
    D = 2048;
  const weights = weightBytes(denseShapes(c), FORMATS.fp16);
  const input = { config: c, weights, kvPerLayer: kvBytesPerLayer(c, 2048, 1), work: workingSet(c, 2048, 1) };
  const one = splitAcrossDevices(input, { gpus: [{ name: 'big', freeBytes: 24 * GiB, totalBytes: 24 * GiB }], ramFreeBytes: 0 });
  assert.equal(one[0].breakdown.head, 2 * D * 2); // the final LayerNorm only
  const two = splitAcrossDevices(input, { gpus: [2, 2].map((gb) => ({ name: `${gb}`, freeBytes: gb * GiB, totalBytes: gb * GiB })), ramFreeBytes: 0 });
  assert.ok(two[1].holdsHead);
  assert.equal(two[1].breakdown.head, 2 * D * 2 + V * D * 2);
});

test('the slicing job needs two fp32 layers, calibration activations and four D×D float64 matrices (two moments, the D&C vectors, the threaded secular working array)', () => {
  const c = published('llama-2-7b-hf');
  const D = 4096,
    I = 11008;
  const r = slicingJobRam(c, { nsamples: 128, seqlen: 2048 });
  const layer = 4 * D * D + 3 * D * I + 2 * D;
  assert.equal(r.layerWeights, 2 * layer * 4);
  assert.equal(r.activations, 128 * 2048 * D * 4 * 2); // 8 GiB
  assert.equal(r.pca + r.eigenWorkspace, 4 * D * D * 8);
  assert.equal(r.total, 2 * layer * 4 + 8 * GiB + 4 * D * D * 8 + 1 * GiB);
});
