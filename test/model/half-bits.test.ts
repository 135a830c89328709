// Values widened from float16 are written as float16 from their remembered bits (model/half-bits.ts), which
// must be exactly the bits rounding them again gives: every float16 pattern but the NaNs round-trips, and an
// array holding a NaN is not remembered (the writer rounds it, making the NaN quiet, as before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { widenHalf } from '../../core/runtime/half-weights';
import { halfBitsOf, isHalfNaN } from '../../core/model/half-bits';
import { halfToFloat } from '../../core/model/safetensors';
import { writeSafetensors } from '../../core/model/safetensors-writer';

/** The tensor bytes of a one-tensor safetensors file written as F16. */
async function writtenF16(dir: string, name: string, data: Float32Array): Promise<Uint16Array> {
  const file = join(dir, `${name}.safetensors`);
  await writeSafetensors(file, [{ name: 't', dtype: 'F16', shape: [data.length], data }]);
  const raw = readFileSync(file);
  const start = 8 + Number(raw.readBigUInt64LE(0));
  return new Uint16Array(raw.buffer.slice(raw.byteOffset + start, raw.byteOffset + raw.byteLength));
}

test('every non-NaN float16 pattern widened and written as F16 is its own bits, the same bytes as rounding a copy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'half-bits-'));
  try {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((b) => (b & 0x7fff) <= 0x7c00);
    assert.equal(all.length, 65536 - 2 * 1023);
    const wide = widenHalf(all);
    assert.equal(halfBitsOf(wide), all);
    const fromBits = await writtenF16(dir, 'remembered', wide);
    const rounded = await writtenF16(dir, 'rounded', wide.slice());
    assert.equal(halfBitsOf(wide.slice()), undefined);
    assert.deepEqual(fromBits, all);
    assert.deepEqual(rounded, all);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an array with a NaN, or widened with remember false, is not remembered; the writer rounds it as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'half-bits-'));
  try {
    const withNan = widenHalf(Uint16Array.of(0x3c00, 0x7c01, 0xfc00));
    assert.equal(halfBitsOf(withNan), undefined);
    assert.deepEqual(await writtenF16(dir, 'nan', withNan), Uint16Array.of(0x3c00, 0x7e00, 0xfc00));
    assert.equal(halfBitsOf(widenHalf(Uint16Array.of(0x3c00), { remember: false })), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('isHalfNaN holds for exactly the float16 patterns that widen to NaN (2 × 1023 of them)', () => {
  let count = 0;
  for (let b = 0; b < 65536; b++) {
    assert.equal(isHalfNaN(b), Number.isNaN(halfToFloat[b]), `0x${b.toString(16)}`);
    if (isHalfNaN(b)) count++;
  }
  assert.equal(count, 2 * 1023);
});
