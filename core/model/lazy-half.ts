// A matrix whose float32 values are float16 bits not widened yet: the device engine's rotated weights when the
// slice stores float16 (runtime/device.ts products). Widening them (a fresh float32 array, every page touched
// for the first time: ~9 ns a value on an H100 host, 1.4 s per LLaMA-2-7B layer) bought nothing on the app's
// path: the passes read the adopted device copies and the float16 writer writes the remembered bits. So the
// float32 array is allocated at once (untouched pages cost no time and no RAM) and filled when the matrix's
// `data` is first read — by any reader, through the getter: nothing can see the unfilled values but the
// readers that ask for the array itself (storageOf: the feeds, whose values a resident runner never reads
// once adopted, and the safetensors writer), and those widen it (widened) before reading any value.
import type { Matrix } from './weights';
import { halfToFloat } from './safetensors';
import { isHalfNaN, rememberHalfBits } from './half-bits';

/** Arrays allocated for float16 bits and not filled yet. */
const pending = new WeakMap<Float32Array, Uint16Array>();
/** A lazy matrix's array, for the readers that need it without its values. */
const storage = new WeakMap<Matrix, Float32Array>();

/**
 * Writes the float32 values of float16 `bits` into `out` (exact, through model/safetensors.ts's 65,536-entry
 * table); returns whether any is a NaN.
 */
export function widenInto(bits: Uint16Array, out: Float32Array): boolean {
  // Through a local, V8 inlines the test with no per-value check of the callee (called directly: 0.06–0.18 ns a
  // value slower on a 2-core dev box, ~1.8 ns a value in all).
  const nanBits = isHalfNaN;
  let nan = false;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    out[i] = halfToFloat[b];
    if (nanBits(b)) nan = true;
  }
  return nan;
}

/** `values`, filled from its float16 bits first if it is a lazy matrix's array not read yet. */
export function widened(values: Float32Array): Float32Array {
  const bits = pending.get(values);
  if (bits) {
    pending.delete(values);
    widenInto(bits, values);
  }
  return values;
}

/** Whether `values` is a lazy matrix's array whose values have not been filled yet. */
export function isPendingHalf(values: Float32Array): boolean {
  return pending.has(values);
}

/**
 * A rows×cols matrix of the float16 `bits`, widened to float32 when `data` is first read. The bits are
 * remembered for the float16 writer (model/half-bits.ts; checked for NaNs when it asks).
 */
export function halfMatrix(rows: number, cols: number, bits: Uint16Array): Matrix {
  if (bits.length !== rows * cols) throw new Error(`halfMatrix: ${bits.length} values for ${rows}×${cols}`);
  const data = new Float32Array(bits.length);
  pending.set(data, bits);
  rememberHalfBits(data, bits, { checked: false });
  // An own enumerable getter: spreads, copies and deep comparisons read the values through it too.
  const m: Matrix = {
    rows,
    cols,
    get data() {
      return widened(data);
    },
  };
  storage.set(m, data);
  return m;
}

/** The matrix's float32 array without filling it (a lazy matrix's values may not be there yet: see widened). */
export function storageOf(m: Matrix): Float32Array {
  return storage.get(m) ?? m.data;
}
