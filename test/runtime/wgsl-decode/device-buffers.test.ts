// The decoder's weight packing (core/runtime/wgsl-decode/device-buffers.ts): float16 pairs in u32s equal to
// toHalfBits value by value (rounding ties to even, subnormals, overflow, NaN), low half first, rows padded
// with zeros to whole 16-byte words; float32 rows padded alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packHalfRows, padRows } from '../../../core/runtime/wgsl-decode/device-buffers';
import { toHalfBits } from '../../../core/model/half-bits';

test('packHalfRows gives toHalfBits of every value, two a u32 (low half first), rows padded to 8-half words', () => {
  const special = [0, -0, 1, -1, 65504, 65520, 1e6, -1e6, 6.1e-5, 6.0e-5, 1e-7, -3e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN, Infinity, -Infinity, 0.1, 2 ** -14, 2 ** -24];
  let s = 1;
  const random = Array.from({ length: 2000 }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2 ** ((s % 40) - 20));
  const values = Float32Array.from([...special, ...random]);
  const cols = 13; // odd: the last u32 of a row holds one half and a zero
  const rows = Math.floor(values.length / cols);
  const words = Math.ceil(cols / 8);
  const out = packHalfRows(values, cols, 1, rows - 1, words);
  assert.equal(out.length, (rows - 1) * words * 4);
  for (let r = 0; r < rows - 1; r++) {
    for (let c = 0; c < words * 8; c++) {
      const u = out[r * words * 4 + (c >> 1)];
      const half = c & 1 ? u >>> 16 : u & 0xffff;
      const want = c < cols ? toHalfBits(values[(r + 1) * cols + c]) : 0;
      assert.equal(half, want, `row ${r + 1}, col ${c} (${values[(r + 1) * cols + c]})`);
    }
  }
  // The first row too (it holds the special values).
  const first = packHalfRows(values, cols, 0, 1, words);
  for (let c = 0; c < cols; c++) assert.equal(c & 1 ? first[c >> 1] >>> 16 : first[c >> 1] & 0xffff, toHalfBits(values[c]), `special ${values[c]}`);
});

test('padRows pads float32 rows to whole 4-float words and passes aligned rows through', () => {
  const data = Float32Array.from({ length: 15 }, (_, i) => i + 1);
  assert.deepEqual([...padRows(data, 5, 1, 2, 2)], [6, 7, 8, 9, 10, 0, 0, 0, 11, 12, 13, 14, 15, 0, 0, 0]);
  const aligned = Float32Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual([...padRows(aligned, 4, 1, 2, 1)], [4, 5, 6, 7, 8, 9, 10, 11]);
});
