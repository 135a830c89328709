// Test matrices for the eigensolver benches: a seeded random symmetric matrix and the Frobenius norm.

/** n×n symmetric, entries uniform in [−0.5, 0.5) from a seeded xorshift32. */
export function symmetric(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      a[i * n + j] = a[j * n + i] = (s >>> 0) / 2 ** 32 - 0.5;
    }
  return a;
}

export function frob(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}
