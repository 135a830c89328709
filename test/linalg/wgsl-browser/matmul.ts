// In the page, core/linalg/matmul.ts (onnxruntime-node) is replaced by this plain float64 product: the
// divide and conquer's lower merges (CPU work, not what the WGSL test checks) still need one.
export async function gemm(a: Float64Array, b: Float64Array, m: number, k: number, n: number, o: { out?: Float64Array; transA?: boolean; c?: Float64Array; beta?: number } = {}): Promise<Float64Array> {
  const out = o.out ?? new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += (o.transA ? a[l * m + i] : a[i * k + l]) * b[l * n + j];
      out[i * n + j] = s + (o.c ? (o.beta ?? 0) * o.c[i * n + j] : 0);
    }
  return out;
}

export async function runGraph(): Promise<never> {
  throw new Error('ORT graphs do not run in the page');
}
