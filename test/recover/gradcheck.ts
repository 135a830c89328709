// Central-difference gradient checks of tape-built float64 graphs: L = Σ f(inputs) ⊙ R for a fixed random
// R, the tape's gradient of every trainable input against (L(x+h) − L(x−h)) / 2h per coordinate.
import ort from 'onnxruntime-node';
import { Tape, numel, type Val } from '../../core/recover/tape';
import { mulberry32 } from '../../core/data/prng';

export const STEP = 1e-6;

export function randn(n: number, seed: number, amp = 1): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => (r() * 2 - 1) * amp);
}

export interface CheckInput {
  shape: number[];
  data?: Float64Array;
  trainable?: boolean;
  amp?: number;
}

/**
 * Builds f on a float64 tape with one graph input per entry of `inputs` (random unless given), and
 * returns the worst relative error ‖g_tape − g_fd‖∞ / ‖g_fd‖∞ over the trainable inputs.
 */
export async function gradCheck(inputs: Record<string, CheckInput>, f: (t: Tape, v: Record<string, Val>) => Val, opts: { seed?: number; maxCoords?: number; extraFeeds?: Record<string, ort.Tensor> } = {}): Promise<number> {
  const t = new Tape('gradcheck', 'float64');
  const vals: Record<string, Val> = {};
  const data: Record<string, Float64Array> = {};
  let seed = opts.seed ?? 1;
  for (const [name, inp] of Object.entries(inputs)) {
    vals[name] = t.input(name, inp.shape, inp.trainable ?? true);
    data[name] = inp.data ?? randn(numel(inp.shape), seed++, inp.amp ?? 1);
  }
  const y = f(t, vals);
  const R = t.constant('R', y.shape, randn(numel(y.shape), 999));
  const loss = ((): Val => {
    const g = t.g;
    const name = g.node('ReduceSum', [g.node('Mul', [y.name, R.name])], { keepdims: 0 });
    return t.record(name, [], [y], (dy) => [g.node('Mul', [R.name, dy])]);
  })();
  const trainable = Object.values(vals).filter((v) => v.grad);
  const grads = t.backward(loss, trainable);
  t.g.node('Identity', [loss.name], {}, { out: 'loss' });
  t.g.output('loss', 'float64', []);
  for (const v of trainable) {
    t.g.node('Identity', [grads.get(v.name)!], {}, { out: `grad_${v.name}` });
    t.g.output(`grad_${v.name}`, 'float64', [...v.shape]);
  }
  const session = await ort.InferenceSession.create(t.g.toBytes());
  const feeds = (d: Record<string, Float64Array>) => {
    const out: Record<string, ort.Tensor> = { ...(opts.extraFeeds ?? {}) };
    for (const [n, inp] of Object.entries(inputs)) out[n] = new ort.Tensor('float64', d[n], inp.shape);
    return out;
  };
  const res = await session.run(feeds(data));
  const lossAt = async (d: Record<string, Float64Array>) => ((await session.run(feeds(d), ['loss'])).loss.data as Float64Array)[0];
  let worst = 0;
  for (const v of trainable) {
    const ga = res[`grad_${v.name}`].data as Float64Array;
    const n = ga.length;
    const coords = n <= (opts.maxCoords ?? 64) ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: opts.maxCoords ?? 64 }, (_, i) => Math.floor((i * n) / (opts.maxCoords ?? 64)));
    let errMax = 0;
    let refMax = 0;
    for (const i of coords) {
      const x = data[v.name];
      const keep = x[i];
      x[i] = keep + STEP;
      const lp = await lossAt(data);
      x[i] = keep - STEP;
      const lm = await lossAt(data);
      x[i] = keep;
      const fd = (lp - lm) / (2 * STEP);
      errMax = Math.max(errMax, Math.abs(fd - ga[i]));
      refMax = Math.max(refMax, Math.abs(fd));
    }
    if (refMax === 0) throw new Error(`gradient of ${v.name} is zero at every checked coordinate: the check would prove nothing`);
    worst = Math.max(worst, errMax / refMax);
  }
  return worst;
}
