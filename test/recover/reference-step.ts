// An independent float64 reference of one LoRA training step on a LLaMA-shaped sliced model: a plain-JS
// forward (no ONNX, no tape), the loss as the mean next-token NLL over the scored positions, gradients by
// central differences of that forward, and AdamW as torch writes it. Slow and simple on purpose.
import type { LayerWeights, Linear } from '../../core/model/weights';
import { causalAttentionRow, lin as frozenLinear, matVec } from '../runtime/reference-forward';
import type { ModelWeights } from '../../core/recover/train-graph';
import { linearsOf, type LoraAdapter } from '../../core/recover/lora';

type Vec = Float64Array;

export interface RefAdapter {
  layer: number;
  role: LoraAdapter['role'];
  inF: number;
  outF: number;
  r: number;
  A: Float64Array;
  B: Float64Array;
}

/** The frozen linear plus, with an adapter, s·B·(A·x). */
function lin(x: Vec, l: Linear, a: RefAdapter | undefined, s: number): Vec {
  const y = frozenLinear(x, l);
  const rows = l.weight.rows;
  if (a) {
    const xa = new Float64Array(a.r);
    for (let k = 0; k < a.r; k++) for (let i = 0; i < a.inF; i++) xa[k] += a.A[k * a.inF + i] * x[i];
    for (let o = 0; o < rows; o++) {
      let v = 0;
      for (let k = 0; k < a.r; k++) v += a.B[o * a.r + k] * xa[k];
      y[o] += s * v;
    }
  }
  return y;
}

const rms = (x: Vec, divisor: number, eps: number): Vec => {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / divisor + eps);
  return x.map((v) => v * inv);
};

/** Mean NLL over positions with target ≥ 0, summed over sequences (each starting at position 0). */
export function referenceLoss(m: ModelWeights, adapters: RefAdapter[], scale: number, seqs: { ids: Int32Array; targets: Int32Array }[]): number {
  const { numHeads: H, numKvHeads: Hkv, headDim: d, rope } = m.arch;
  const byRole = (l: number, role: string) => adapters.find((a) => a.layer === l && a.role === role);
  let total = 0;
  let count = 0;
  for (const seq of seqs) {
    const S = seq.ids.length;
    const E = m.embedding.tokens;
    let xs: Vec[] = Array.from(seq.ids, (id) => Float64Array.from(E.data.subarray(id * E.cols, (id + 1) * E.cols)));
    const rot = (v: Vec, p: number): Vec => {
      if (!rope) return v;
      const half = rope.rotaryDim / 2;
      const out = Float64Array.from(v);
      for (let h = 0; h < v.length / d; h++)
        for (let i = 0; i < half; i++) {
          // The angle as transformers computes it (float32 inverse frequency and product), then cos/sin.
          const inv = Math.fround(1 / Math.fround(Math.pow(rope.theta, Math.fround((2 * i) / rope.rotaryDim))));
          const ang = Math.fround(p * inv);
          const [x1, x2] = [v[h * d + i], v[h * d + half + i]];
          out[h * d + i] = x1 * Math.fround(Math.cos(ang)) - x2 * Math.fround(Math.sin(ang));
          out[h * d + half + i] = x2 * Math.fround(Math.cos(ang)) + x1 * Math.fround(Math.sin(ang));
        }
      return out;
    };
    m.layers.forEach((w: LayerWeights, l) => {
      if (w.kind !== 'sequential') throw new Error('the reference covers sequential (LLaMA-shaped) blocks');
      const L = linearsOf(w);
      const ln = (x: Vec, role: 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down') => lin(x, L[role]!, byRole(l, role), scale);
      const ns = xs.map((x) => rms(x, (w.attn.norm as { divisor: number }).divisor, w.attn.norm.eps));
      const q = ns.map((n, p) => rot(ln(n, 'q'), p));
      const k = ns.map((n, p) => rot(ln(n, 'k'), p));
      const v = ns.map((n) => ln(n, 'v'));
      xs = xs.map((x, i) => {
        const o = causalAttentionRow(q, k, v, i, H, Hkv, d);
        const y = ln(o, 'o');
        const r = matVec(x, w.attn.shortcut);
        return r.map((val, c) => val + y[c]);
      });
      xs = xs.map((x) => {
        const n = rms(x, (w.mlp.norm as { divisor: number }).divisor, w.mlp.norm.eps);
        const g = ln(n, 'gate');
        const u = ln(n, 'up');
        for (let c = 0; c < u.length; c++) u[c] *= g[c] / (1 + Math.exp(-g[c]));
        const y = ln(u, 'down');
        const r = matVec(x, w.mlp.shortcut);
        return r.map((val, c) => val + y[c]);
      });
    });
    const head = m.head;
    xs.forEach((x, i) => {
      const tgt = seq.targets[i];
      if (tgt < 0) return;
      const logits = lin(rms(x, (head.norm as { divisor: number }).divisor, head.norm.eps), head.lm, undefined, 0);
      let mx = -Infinity;
      for (const z of logits) mx = Math.max(mx, z);
      let s = 0;
      for (const z of logits) s += Math.exp(z - mx);
      total += mx + Math.log(s) - logits[tgt];
      count++;
    });
  }
  return total / count;
}

/** torch.optim.AdamW's first step from zero moments, for one coordinate. */
export function referenceAdamWFirstStep(p: number, g: number, lr: number, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  const m = (1 - b1) * g;
  const v = (1 - b2) * g * g;
  const mHat = m / (1 - b1);
  const vHat = v / (1 - b2);
  return p * (1 - lr * wd) - (lr * mHat) / (Math.sqrt(vHat) + eps);
}
