// Llama-3's RoPE frequencies (rope_type "llama3"), from Llama-3.1-8B's factors: short wavelengths kept, long ones
// divided by the factor, the band between interpolated — and position tables built from them. (That each value
// is transformers' to the bit is what the reference logits in families-reference.test.ts check.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invFreq, ropeTables } from '../../core/runtime/rope';

const LLAMA_31 = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };

test('llama3 keeps frequencies of wavelength < 2,048, divides those > 8,192 by 8 and interpolates between', () => {
  const plain = invFreq(500000, 128);
  const scaled = invFreq(500000, 128, LLAMA_31);
  const kinds = { kept: 0, divided: 0, between: 0 };
  for (let i = 0; i < plain.length; i++) {
    const wavelen = (2 * Math.PI) / plain[i];
    if (wavelen < 2048) {
      assert.equal(scaled[i], plain[i], `index ${i}`);
      kinds.kept++;
    } else if (wavelen > 8192) {
      assert.equal(scaled[i], Math.fround(plain[i] / 8), `index ${i}`);
      kinds.divided++;
    } else {
      assert.ok(scaled[i] < plain[i] && scaled[i] > plain[i] / 8, `index ${i}: ${scaled[i]} not between ${plain[i] / 8} and ${plain[i]}`);
      kinds.between++;
    }
  }
  // θ = 500,000 over 64 frequencies: every kind occurs, so each branch above ran.
  assert.ok(kinds.kept > 0 && kinds.divided > 0 && kinds.between > 0, JSON.stringify(kinds));
  // The interpolation is monotone: lower frequencies are never scaled up past higher ones.
  for (let i = 1; i < scaled.length; i++) assert.ok(scaled[i] < scaled[i - 1], `not decreasing at ${i}`);
});

test('llama3 tables are cos/sin of position × the scaled frequencies; the default type is unchanged', () => {
  const inv = invFreq(500000, 16, LLAMA_31);
  const t = ropeTables(500000, 16, 3, 2, LLAMA_31);
  for (let p = 0; p < 2; p++) for (let i = 0; i < 8; i++) assert.equal(t.cos[p * 8 + i], Math.fround(Math.cos(Math.fround((3 + p) * inv[i]))));
  assert.deepEqual(ropeTables(10000, 16, 0, 4), ropeTables(10000, 16, 0, 4, undefined));
  assert.notDeepEqual(ropeTables(500000, 16, 0, 4, LLAMA_31).cos, ropeTables(500000, 16, 0, 4).cos);
});
