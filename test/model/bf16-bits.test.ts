// The prefetch's fast path for bfloat16 weights (model/bf16-bits.ts, fuse.ts's RMSNorm loop, slicegpt/half-forms.ts):
// the widened values, the fused readers and every linear's exact float16 form must be the very bytes the old
// computation gave — toFloat32's widening, the general fold, halfExact's two passes over float32 and
// halfExactFolded's entry-by-entry check — including the ranges and values halfExact refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { takeBf16Bits, widenBf16, widenF16 } from '../../core/model/bf16-bits';
import { toFloat32 } from '../../core/model/safetensors';
import { halfExact, halfExactFolded, type HalfExact } from '../../core/runtime/half-weights';
import { fuseLayer } from '../../core/slicegpt/fuse';
import { halfJobs } from '../../core/slicegpt/half-forms';
import type { LayerWeights, Linear } from '../../core/model/weights';
import type { ModelConfig } from '../../core/model/config';
import { rand } from '../runtime/random-folder';

/** bfloat16 bits: random signs and mantissas, exponents in [lo, hi] (biased), plus signed zeros. */
function bits(n: number, seed: number, lo: number, hi: number): Uint16Array {
  const r = rand(seed);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const e = lo + Math.floor(r() * (hi - lo + 1));
    out[i] = (r() < 0.5 ? 0x8000 : 0) | (e << 7) | Math.floor(r() * 128);
  }
  out[3] = 0x8000;
  out[5] = 0;
  return out;
}

const bytesOf = (b: Uint16Array) => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
/** The old path: toFloat32's widening, into an array with nothing remembered. */
const oldWiden = (b: Uint16Array) => toFloat32(bytesOf(b), 'BF16');
const same = (a: HalfExact | null, b: HalfExact | null) => {
  assert.equal(a === null, b === null);
  if (!a || !b) return;
  assert.equal(a.scale, b.scale);
  assert.deepEqual(Buffer.from(a.bits.buffer, a.bits.byteOffset, a.bits.byteLength), Buffer.from(b.bits.buffer, b.bits.byteOffset, b.bits.byteLength));
  assert.equal(a.columns === undefined, b.columns === undefined);
  if (a.columns && b.columns) assert.deepEqual(Buffer.from(a.columns.buffer), Buffer.from(b.columns.buffer));
};

test('widened bfloat16 and float16 are toFloat32 bit for bit', () => {
  const b = bits(5000, 1, 0, 255);
  assert.deepEqual(Buffer.from(widenBf16(b.slice()).buffer), Buffer.from(oldWiden(b).buffer));
  const h = bits(5000, 2, 0, 255);
  assert.deepEqual(Buffer.from(widenF16(h).buffer), Buffer.from(toFloat32(bytesOf(h), 'F16').buffer));
});

test('the float16 form made from the bfloat16 bits is halfExact of the float32 values, refusals included', () => {
  const cases: [string, Uint16Array][] = [
    ['typical weights', bits(4096, 3, 100, 126)],
    ['30 binades', bits(4096, 4, 97, 126)],
    ['31 binades (refused)', bits(4096, 5, 96, 126)],
    ['huge values', bits(4096, 6, 230, 254)],
    ['tiny values', bits(4096, 7, 1, 20)],
    ['all zeros', new Uint16Array(64).fill(0x8000)],
  ];
  const special = bits(4096, 8, 110, 126);
  special[100] = 0x0001; // a subnormal
  cases.push(['a subnormal (refused)', special]);
  const inf = bits(4096, 9, 110, 126);
  inf[7] = 0x7f80;
  cases.push(['an Inf (refused)', inf]);
  const nan = bits(4096, 10, 110, 126);
  nan[9] = 0xffc1;
  cases.push(['a NaN (refused)', nan]);
  for (const [what, b] of cases) {
    const want = halfExact(oldWiden(b));
    const values = widenBf16(b.slice());
    const got = halfExact(values);
    assert.doesNotThrow(() => same(got, want), what);
    // The bits are handed over once: a second call takes the float32 path and agrees.
    assert.equal(takeBf16Bits(values), undefined);
    same(halfExact(values), want);
  }
});

test("a LLaMA layer read as bfloat16: fused readers and every linear's float16 form are the old computation's bytes", () => {
  const D = 64;
  const F = 96;
  const cfg = { norm: 'rmsnorm', normEps: 1e-5, hiddenSize: D } as ModelConfig;
  let seed = 20;
  const lin = (rows: number, cols: number): Linear => ({ weight: { rows, cols, data: widenBf16(bits(rows * cols, seed++, 110, 126)) } });
  const gamma = (k: number) => oldWiden(bits(D, k, 118, 128));
  const layer = (): LayerWeights => {
    seed = 20;
    return {
      kind: 'sequential',
      attn: { norm: { kind: 'rmsnorm', eps: 1e-5, divisor: D, weight: gamma(1) }, q: lin(D, D), k: lin(D, D), v: lin(D, D), o: lin(D, D) },
      mlp: { norm: { kind: 'rmsnorm', eps: 1e-5, divisor: D, weight: gamma(2) }, gate: lin(F, D), up: lin(F, D), down: lin(D, F) },
    };
  };
  const src = layer();
  const fused = fuseLayer(cfg, src);
  const got = halfJobs(src, fused).map((j) => j.form());
  // The old computation, on arrays with nothing remembered: the general fold, halfExactFolded's check, halfExact.
  const plainSrc = layer();
  if (plainSrc.kind !== 'sequential' || fused.kind !== 'sequential') throw new Error('sequential');
  const copy = (l: Linear) => Float32Array.from(l.weight.data);
  const readers: [Linear, Float32Array, Float32Array][] = [
    [plainSrc.attn.q, plainSrc.attn.norm.weight!, fused.attn.q.weight.data],
    [plainSrc.attn.k, plainSrc.attn.norm.weight!, fused.attn.k.weight.data],
    [plainSrc.attn.v, plainSrc.attn.norm.weight!, fused.attn.v.weight.data],
    [plainSrc.mlp.gate!, plainSrc.mlp.norm.weight!, fused.mlp.gate!.weight.data],
    [plainSrc.mlp.up, plainSrc.mlp.norm.weight!, fused.mlp.up.weight.data],
  ];
  for (const [l, g, f] of readers) {
    const s = copy(l);
    const w = new Float32Array(s.length);
    for (let i = 0, j = 0; i < s.length; i++, j = (j + 1) % D) w[i] = s[i] * g[j];
    assert.deepEqual(Buffer.from(f.buffer), Buffer.from(w.buffer), 'the fused reader');
  }
  const want = [...readers.slice(0, 3).map(([l, g, f]) => halfExactFolded(copy(l), g, f, D)), halfExact(copy(plainSrc.attn.o)), ...readers.slice(3).map(([l, g, f]) => halfExactFolded(copy(l), g, f, D)), halfExact(copy(plainSrc.mlp.down))];
  assert.equal(got.length, 7);
  for (let i = 0; i < 7; i++) {
    assert.ok(want[i], `linear ${i} has an exact float16 form`);
    same(got[i], want[i]);
  }
});
