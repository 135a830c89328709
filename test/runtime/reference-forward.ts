// A plain-JS float64 forward pass over canonical weights: the oracle the ONNX graphs are checked
// against. Written for clarity, not speed — one sequence, no batching, no caching.
import type { ModelSource } from '../../core/model/model-source';
import type { Linear, NormSpec, Matrix } from '../../core/model/weights';

type Vec = Float64Array;

function normRow(x: Vec, n: NormSpec): Vec {
  const D = x.length;
  const y = new Float64Array(D);
  if (n.kind === 'layernorm') {
    let mean = 0;
    for (const v of x) mean += v;
    mean /= D;
    let varr = 0;
    for (const v of x) varr += (v - mean) ** 2;
    varr /= D;
    const inv = 1 / Math.sqrt(varr + n.eps);
    for (let i = 0; i < D; i++) y[i] = (x[i] - mean) * inv * n.weight[i] + n.bias[i];
  } else {
    let ss = 0;
    for (const v of x) ss += v * v;
    const inv = 1 / Math.sqrt(ss / n.divisor + n.eps);
    for (let i = 0; i < D; i++) y[i] = x[i] * inv * (n.weight ? n.weight[i] : 1);
  }
  return y;
}

/** x·Wᵀ + b in float64 (the reference every engine's linear is held to). */
export function lin(x: Vec, l: Linear): Vec {
  const { rows, cols, data } = l.weight;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = l.bias ? l.bias[r] : 0;
    for (let c = 0; c < cols; c++) s += data[r * cols + c] * x[c];
    y[r] = s;
  }
  return y;
}

/** Query i's attention output over keys 0…i (head h reads KV head ⌊h/G⌋), before the o projection. */
export function causalAttentionRow(q: Vec[], k: Vec[], v: Vec[], i: number, H: number, Hkv: number, d: number): Vec {
  const o = new Float64Array(H * d);
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / (H / Hkv));
    const sc = new Float64Array(i + 1);
    let mx = -Infinity;
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += q[i][h * d + c] * k[j][kh * d + c];
      sc[j] = s / Math.sqrt(d);
      mx = Math.max(mx, sc[j]);
    }
    let z = 0;
    for (let j = 0; j <= i; j++) z += sc[j] = Math.exp(sc[j] - mx);
    for (let j = 0; j <= i; j++) for (let c = 0; c < d; c++) o[h * d + c] += (sc[j] / z) * v[j][kh * d + c];
  }
  return o;
}

export function matVec(x: Vec, m: Matrix | undefined): Vec {
  if (!m) return x;
  const y = new Float64Array(m.cols);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) y[c] += x[r] * m.data[r * m.cols + c];
  return y;
}

function act(x: number, a: string): number {
  switch (a) {
    case 'relu':
      return Math.max(0, x);
    case 'silu':
      return x / (1 + Math.exp(-x));
    case 'gelu_new':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    default: {
      // erf via Abramowitz–Stegun is too coarse for an oracle; integrate numerically instead.
      const z = x / Math.SQRT2;
      const steps = 2000;
      let s = 0;
      for (let i = 0; i < steps; i++) {
        const t = ((i + 0.5) / steps) * z;
        s += Math.exp(-t * t);
      }
      const erf = (2 / Math.sqrt(Math.PI)) * s * (z / steps);
      return 0.5 * x * (1 + erf);
    }
  }
}

/** Logits [seq, vocab] in float64 for one sequence starting at position 0. */
export async function referenceLogits(src: ModelSource, ids: number[]): Promise<Float64Array[]> {
  const a = src.arch;
  const emb = await src.embedding();
  const S = ids.length;
  let xs: Vec[] = ids.map((id, p) => {
    const D = emb.tokens.cols;
    const x = new Float64Array(D);
    for (let i = 0; i < D; i++) x[i] = emb.tokens.data[id * D + i];
    if (emb.positions) for (let i = 0; i < D; i++) x[i] += emb.positions.data[(p + (emb.positionOffset ?? 0)) * D + i];
    return x;
  });
  const { numHeads: H, numKvHeads: Hkv, headDim: d } = a;
  const rope = (v: Vec, p: number) => {
    if (!a.rope) return v;
    const rd = a.rope.rotaryDim;
    const half = rd / 2;
    const out = Float64Array.from(v);
    for (let h = 0; h < v.length / d; h++) {
      for (let i = 0; i < half; i++) {
        const ang = p / Math.pow(a.rope.theta, (2 * i) / rd);
        const x1 = v[h * d + i];
        const x2 = v[h * d + half + i];
        out[h * d + i] = x1 * Math.cos(ang) - x2 * Math.sin(ang);
        out[h * d + half + i] = x2 * Math.cos(ang) + x1 * Math.sin(ang);
      }
    }
    return out;
  };
  const attention = (ns: Vec[], w: { q: Linear; k: Linear; v: Linear; o: Linear }): Vec[] => {
    const q = ns.map((n, p) => rope(lin(n, w.q), p));
    const k = ns.map((n, p) => rope(lin(n, w.k), p));
    const v = ns.map((n) => lin(n, w.v));
    return ns.map((_, i) => lin(causalAttentionRow(q, k, v, i, H, Hkv, d), w.o));
  };
  const mlp = (n: Vec, w: { gate?: Linear; up: Linear; down: Linear }): Vec => {
    const u = lin(n, w.up);
    if (w.gate) {
      const g = lin(n, w.gate);
      for (let i = 0; i < u.length; i++) u[i] *= act(g[i], a.activation);
    } else for (let i = 0; i < u.length; i++) u[i] = act(u[i], a.activation);
    return lin(u, w.down);
  };
  const add = (...vs: Vec[]) => vs.reduce((s, v) => s.map((x, i) => x + v[i]));
  for (let l = 0; l < src.config.numLayers; l++) {
    const w = await src.layer(l);
    if (w.kind === 'parallel') {
      const ns = xs.map((x) => normRow(x, w.block.norm));
      const at = attention(ns, w.block.attn);
      xs = xs.map((x, i) => add(matVec(x, w.block.shortcut), at[i], mlp(ns[i], w.block.mlp)));
    } else {
      const at = attention(
        xs.map((x) => normRow(x, w.attn.norm)),
        w.attn,
      );
      xs = xs.map((x, i) => add(matVec(x, w.attn.shortcut), at[i]));
      xs = xs.map((x) => add(matVec(x, w.mlp.shortcut), mlp(normRow(x, w.mlp.norm), w.mlp)));
    }
  }
  const head = await src.head();
  return xs.map((x) => lin(normRow(x, head.norm), head.lm));
}

export function logsumexp(row: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - m);
  return m + Math.log(s);
}
