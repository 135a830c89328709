// The GGUF writer's pieces against their definitions: ggml block layouts, the GGUF v3 header as
// node-llama-cpp's independent reader parses it, the q/k row permutation (HF rotate-half RoPE = llama.cpp's
// interleaved RoPE on the permuted rows), and the RMSNorm width compensation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { encodeTensor, decodeTensor } from '../../core/export/gguf/quantize';
import { GgmlType } from '../../core/export/gguf/constants';
import { permuteRopeRows, unpermuteRopeRows, compensatedEps, compensatedNormWeight } from '../../core/export/gguf/llama';
import { exportGguf } from '../../core/export/gguf/index';
import { toHalfBits } from '../../core/model/safetensors-writer';
import { quietContext } from '../../core/base/job-context';
import { SHARED_MODELS } from '../shared';

const SHARED = SHARED_MODELS;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32 - 0.5);
}

test('Q8_0 blocks are { f16 d = amax/127, int8 round(x/d) × 32 } (34 bytes), Q4_0 blocks { f16 d = max/−8, 16 bytes of nibbles j | j+16 } (18 bytes)', () => {
  const x = Float32Array.from({ length: 64 }, (_, j) => (j < 32 ? (j - 16) / 16 : (j - 40) / 4));
  const q8 = encodeTensor(x, GgmlType.Q8_0);
  assert.equal(q8.byteLength, 2 * 34);
  const dv8 = new DataView(q8.buffer);
  for (let b = 0; b < 2; b++) {
    const block = x.subarray(b * 32, b * 32 + 32);
    const amax = Math.max(...block.map(Math.abs));
    const d = Math.fround(amax / 127);
    assert.equal(dv8.getUint16(b * 34, true), toHalfBits(d));
    for (let j = 0; j < 32; j++) {
      const v = Math.fround(block[j] * Math.fround(1 / d));
      assert.equal(dv8.getInt8(b * 34 + 2 + j), v < 0 ? -Math.round(-v) : Math.round(v), `q8 block ${b} element ${j}`);
    }
  }
  const q4 = encodeTensor(x, GgmlType.Q4_0);
  assert.equal(q4.byteLength, 2 * 18);
  // Block 0: the largest magnitude is x0 = −1, so d = −1/−8 = 0.125 and q = trunc(x/d + 8.5) (x = −1 → 0).
  assert.equal(new DataView(q4.buffer).getUint16(0, true), toHalfBits(0.125));
  for (let j = 0; j < 16; j++) {
    const lo = Math.min(15, Math.trunc((j - 16) / 16 / 0.125 + 8.5));
    const hi = Math.min(15, Math.trunc((j + 16 - 16) / 16 / 0.125 + 8.5));
    assert.equal(q4[2 + j], lo | (hi << 4), `q4 byte ${j}`);
  }
  // Block 1: the largest magnitude is +5.75 (j = 63): d = 5.75/−8 < 0, so that element maps to q = 0.
  assert.equal(new DataView(q4.buffer).getUint16(18, true), toHalfBits(Math.fround(5.75 / -8)));
  // Round trips: within half a step (Q8_0) and one step (Q4_0, whose far end clips at 15) of each block's scale,
  // plus what storing the scale as f16 costs (≤ 127·2⁻¹¹ steps).
  const r = rng(3);
  const big = Float32Array.from({ length: 32 * 50 }, () => r() * (1 + 10 * Math.abs(r())));
  for (const [type, steps] of [
    [GgmlType.Q8_0, 0.5],
    [GgmlType.Q4_0, 1],
  ] as const) {
    const back = decodeTensor(encodeTensor(big, type), type, big.length);
    for (let b = 0; b < 50; b++) {
      const block = big.subarray(b * 32, b * 32 + 32);
      const scale = Math.max(...block.map(Math.abs)) / (type === GgmlType.Q8_0 ? 127 : 8);
      for (let j = 0; j < 32; j++) assert.ok(Math.abs(back[b * 32 + j] - block[j]) <= (steps + 0.07) * scale + 1e-7, `${GgmlType[type]} ${b}/${j}`);
    }
  }
  const f16 = encodeTensor(Float32Array.of(1, -2, 65504, 0.5), GgmlType.F16);
  assert.deepEqual(Array.from(new Uint16Array(f16.buffer)), [0x3c00, 0xc000, 0x7bff, 0x3800]);
  assert.throws(() => encodeTensor(new Float32Array(40), GgmlType.Q8_0), /blocks of 32/);
});

test('permuted q/k rows turn Hugging Face rotate-half RoPE into llama.cpp interleaved RoPE (same rotated vector, permuted)', () => {
  const heads = 3;
  const hd = 8;
  const half = hd / 2;
  const r = rng(9);
  const q = { rows: heads * hd, cols: 1, data: Float32Array.from({ length: heads * hd }, r) };
  const p = permuteRopeRows(q, heads);
  assert.deepEqual(unpermuteRopeRows(p, heads).data, q.data);
  const pos = 7;
  const theta = (i: number) => pos * 10000 ** (-(2 * i) / hd);
  for (let h = 0; h < heads; h++) {
    const v = q.data.subarray(h * hd, (h + 1) * hd);
    const x = p.data.subarray(h * hd, (h + 1) * hd);
    for (let i = 0; i < half; i++) {
      const [c, s] = [Math.cos(theta(i)), Math.sin(theta(i))];
      // HF: pairs (i, i + hd/2); llama.cpp NORM: pairs (2i, 2i + 1).
      const hf = [v[i] * c - v[i + half] * s, v[i + half] * c + v[i] * s];
      const cpp = [x[2 * i] * c - x[2 * i + 1] * s, x[2 * i] * s + x[2 * i + 1] * c];
      assert.ok(Math.abs(hf[0] - cpp[0]) < 1e-6 && Math.abs(hf[1] - cpp[1]) < 1e-6, `head ${h} pair ${i}`);
    }
  }
});

test("RMSNorm compensation: weights √(D/D′)·γ and eps·D/D′ make llama.cpp's mean over D′ compute the sliced norm that divides by D", () => {
  const D = 256;
  const r = rng(5);
  for (const width of [256, 192, 32]) {
    for (const gamma of [undefined, Float32Array.from({ length: width }, () => 1 + r())]) {
      const norm = { kind: 'rmsnorm' as const, eps: 1e-5, divisor: D, ...(gamma ? { weight: gamma } : {}) };
      const w = compensatedNormWeight(norm, width);
      const eps2 = compensatedEps(norm.eps, D, width);
      for (const scale of [1e-4, 1, 30]) {
        const x = Float64Array.from({ length: width }, () => r() * scale);
        const ss = x.reduce((a, v) => a + v * v, 0);
        const ours = x.map((v, i) => (v / Math.sqrt(ss / D + norm.eps)) * (gamma ? gamma[i] : 1));
        const cpp = x.map((v, i) => (w[i] * v) / Math.sqrt(ss / width + eps2));
        for (let i = 0; i < width; i++) assert.ok(Math.abs(ours[i] - cpp[i]) <= 1e-6 * Math.abs(ours[i]) + 1e-12, `width ${width} scale ${scale} i ${i}`);
      }
    }
  }
});

test("a dense tiny-stories export is GGUF v3 as llama.cpp's reader sees it: llama metadata, tokenizer, aligned tensors, F32 norms, F16 matrices", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-format-'));
  try {
    const r = await exportGguf(quietContext(), { model: join(SHARED, 'tiny-stories'), dtype: 'f16', out: dir });
    assert.equal(statSync(r.file).size, r.bytes);
    const info = await readGgufFileInfo(r.file, { logWarnings: false });
    assert.equal(info.version, 3);
    const m = info.metadata as unknown as Record<string, any>;
    assert.equal(m.general.architecture, 'llama');
    assert.equal(m.general.alignment, 32);
    assert.equal(m.general.file_type, 1);
    const l = m.llama;
    assert.deepEqual(
      [l.embedding_length, l.block_count, l.feed_forward_length, l.context_length, l.attention.head_count, l.attention.head_count_kv, l.attention.key_length, l.attention.value_length, l.rope.dimension_count, l.rope.freq_base],
      [64, 5, 172, 512, 8, 4, 8, 8, 8, 10000],
    );
    assert.ok(Math.abs(l.attention.layer_norm_rms_epsilon - 1e-5) < 1e-12);
    const t = m.tokenizer.ggml;
    assert.equal(t.model, 'llama');
    assert.equal(t.tokens.length, 512);
    assert.deepEqual([t.tokens[0], t.tokens[1], t.tokens[2], t.tokens[3 + 0x41]], ['<unk>', '<s>', '</s>', '<0x41>']);
    assert.deepEqual([t.token_type[0], t.token_type[1], t.token_type[2], t.token_type[3 + 0x41], t.token_type[300]], [2, 3, 3, 6, 1]);
    assert.deepEqual([t.bos_token_id, t.eos_token_id, t.unknown_token_id, t.add_bos_token, t.add_eos_token], [1, 2, 0, true, false]);
    // Merged pieces are scored −(merge rank + 1): the first merge of tokenizer.json scores −1.
    const tj = JSON.parse(readFileSync(join(SHARED, 'tiny-stories/tokenizer.json'), 'utf8'));
    const first = (tj.model.merges[0] as string).replace(' ', '');
    assert.equal(t.scores[tj.model.vocab[first]], -1);

    const tensors = info.tensorInfo!;
    // tiny-stories ties its head to the embedding: as llama.cpp's converter, token_embd alone (no output.weight).
    assert.equal(tensors.length, 1 + 5 * 9 + 1);
    const byName = new Map(tensors.map((x) => [x.name, x]));
    assert.deepEqual(byName.get('token_embd.weight')!.dimensions.map(Number), [64, 512]);
    assert.deepEqual(byName.get('blk.0.ffn_down.weight')!.dimensions.map(Number), [172, 64]);
    assert.deepEqual(byName.get('blk.4.attn_k.weight')!.dimensions.map(Number), [64, 32]);
    assert.equal(byName.get('blk.0.attn_norm.weight')!.ggmlType, 0);
    assert.equal(byName.has('output.weight'), false);
    assert.equal(byName.get('output_norm.weight')!.ggmlType, 0);
    for (const x of tensors) assert.equal(Number(x.offset) % 32, 0, x.name);
    const modelfile = readFileSync(r.modelfile, 'utf8');
    assert.match(modelfile, /^FROM \.\/tiny-stories-f16\.gguf$/m);
    assert.match(modelfile, /^PARAMETER stop "<\/s>"$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
