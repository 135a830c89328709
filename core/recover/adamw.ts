// AdamW (Loshchilov & Hutter), as torch.optim.AdamW computes it: decoupled weight decay p ← p·(1 − lr·λ),
// then p ← p − lr · m̂ / (√v̂ + ε) with bias-corrected moments. State in float32 (what a checkpoint stores),
// arithmetic in float64, so the same state and gradients give the same bits on every machine.
export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export interface AdamWState {
  /** Steps taken so far. */
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

export function adamwState(params: Float32Array[]): AdamWState {
  return { t: 0, m: params.map((p) => new Float32Array(p.length)), v: params.map((p) => new Float32Array(p.length)) };
}

/** One update of every parameter in place. */
export function adamwStep(params: Float32Array[], grads: Float32Array[], s: AdamWState, lr: number, o: AdamWSettings = ADAMW_DEFAULTS): void {
  s.t++;
  const bc1 = 1 - o.beta1 ** s.t;
  const bc2 = 1 - o.beta2 ** s.t;
  params.forEach((p, k) => {
    const g = grads[k];
    const m = s.m[k];
    const v = s.v[k];
    for (let i = 0; i < p.length; i++) {
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
      const decayed = p[i] * (1 - lr * o.weightDecay);
      p[i] = decayed - (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + o.eps);
    }
  });
}
