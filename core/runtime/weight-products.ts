// The weight products of one step of SliceGPT's rotation, as ONE session run (DeviceTensors.products):
// the readers a rotation Q makes (W·Q[:, :k]), the writers (Q[:, :k]ᵀ·W), the shortcuts (Qaᵀ·Qb), the probe
// shortcuts the next pass reads (Q[:, :k]ᵀ, device only) and the staging of an un-rotated weight (its passes'
// copy now, its raw upload kept on the device for a later writer). One run per step instead of one per
// product; each Q fed once however many products use it.
//
// Weights arrive as float32, or as exact float16 bits with a power-of-two scale (half-weights.ts: half the
// upload; a fused reader as its source's bits and the norm's γ, multiplied as fuse.ts does), cast to float32
// and scaled on the device — every product is a float32 product of the same
// float32 values either way. Host results come down as float32, or cast to float16 on the device when the
// slice stores float16 (`hostHalf`: half the download; the stored value is the float32 product rounded once,
// on the device; kept as those bits until something reads the float32 values, model/lazy-half.ts). Passes'
// copies are in the passes' element type, as DeviceTensors' single products make them.
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph';
import { actType, toFloat, toHalf } from './graphs/primitives';
import type { HalfExact } from './half-weights';
import type { Matrix } from '../model/weights';

/** A weight already on the device: float32 (`scale` null) or float16 bits × `scale`. */
export interface DeviceWeight {
  tensor: ort.Tensor;
  scale: number | null;
}

/** A rows×cols (torch layout, out × in) weight: on the host (with its exact float16 form, if any) or on the device. */
export type WeightSource = { rows: number; cols: number } & ({ host: Float32Array; half: HalfExact | null } | { device: DeviceWeight });

export type ProductItem =
  /** y = W·Q[:, :k] (a linear reading the rotated signal); pass copy yᵀ. */
  | { op: 'mulRight'; w: WeightSource; q: ort.Tensor; hostHalf: boolean }
  /** y = Q[:, :k]ᵀ·W (a linear writing it); pass copy yᵀ. */
  | { op: 'mulLeftT'; w: WeightSource; q: ort.Tensor; hostHalf: boolean }
  /** y = Qa[:, :ka]ᵀ·Qb[:, :kb] (a shortcut); pass copy y. */
  | { op: 'qtq'; qa: ort.Tensor; qb: ort.Tensor; hostHalf: boolean }
  /** Pass copy Q[:, :k]ᵀ only (a probe's shortcut back to the un-rotated basis). */
  | { op: 'qT'; q: ort.Tensor }
  /** An un-rotated weight: pass copy Wᵀ, and W itself kept on the device as uploaded. */
  | { op: 'stage'; w: WeightSource };

export interface ProductOut {
  /** The host result as float32 values (items without hostHalf), absent for qT and stage. */
  host?: Float32Array;
  /** The host result of a hostHalf item: its float16 bits, widened only when its data is read (model/lazy-half.ts). */
  half?: Matrix;
  rows: number;
  cols: number;
  /** The passes' copy on the device. */
  pass: ort.Tensor;
  /** stage: the weight as uploaded, on the device. */
  raw?: DeviceWeight;
}

/** The graph's shape: ops, how each weight is fed and which Q input each product reads. */
export interface ProductsPlan {
  key: string;
  feeds: Record<string, ort.Tensor>;
  build: (half: boolean) => GraphBuilder;
  /** Output names a GPU EP keeps on the device. */
  device: (name: string) => boolean;
}

const isHalfWeight = (w: WeightSource) => ('device' in w ? w.device.scale !== null : w.half !== null);

export function productsPlan(items: ProductItem[]): ProductsPlan {
  const qNames = new Map<ort.Tensor, string>();
  const feeds: Record<string, ort.Tensor> = {};
  const qOf = (t: ort.Tensor) => {
    let n = qNames.get(t);
    if (!n) {
      qNames.set(t, (n = `q${qNames.size}`));
      feeds[n] = t;
    }
    return n;
  };
  const keyParts: string[] = [];
  const steps: ((g: GraphBuilder, half: boolean, declared: Set<string>) => void)[] = [];
  const declareQ = (g: GraphBuilder, declared: Set<string>, name: string) => {
    if (declared.has(name)) return name;
    declared.add(name);
    return g.input(name, 'float32', [`N${name}`, `K${name}`]);
  };
  items.forEach((it, i) => {
    const weight = (w: WeightSource) => {
      const h = isHalfWeight(w);
      if ('device' in w) feeds[`w${i}`] = w.device.tensor;
      else feeds[`w${i}`] = h ? new ort.Tensor('float16', w.half!.bits, [w.rows, w.cols]) : new ort.Tensor('float32', w.host, [w.rows, w.cols]);
      const scale = 'device' in w ? w.device.scale : (w.half?.scale ?? null);
      if (h) feeds[`s${i}`] = new ort.Tensor('float32', Float32Array.of(scale!), [1]);
      const columns = 'device' in w ? undefined : w.half?.columns;
      if (columns) feeds[`g${i}`] = new ort.Tensor('float32', columns, [columns.length]);
      return { h, folded: !!columns };
    };
    if (it.op === 'qtq') {
      const a = qOf(it.qa);
      const b = qOf(it.qb);
      keyParts.push(`qtq(${a},${b},${+it.hostHalf})`);
      steps.push((g, half, d) => {
        const y = g.node('MatMul', [g.node('Transpose', [declareQ(g, d, a)], { perm: [1, 0] }), declareQ(g, d, b)]);
        outputs(g, i, half, y, y, it.hostHalf);
      });
      return;
    }
    if (it.op === 'qT') {
      const a = qOf(it.q);
      keyParts.push(`qT(${a})`);
      steps.push((g, half, d) => {
        const t = g.node('Transpose', [declareQ(g, d, a)], { perm: [1, 0] });
        g.node('Identity', [half ? toHalf(g, t) : t], {}, { out: `yt${i}` });
        g.output(`yt${i}`, actType(half));
      });
      return;
    }
    const { h, folded } = weight(it.w);
    const q = it.op === 'stage' ? '' : qOf(it.q);
    keyParts.push(`${it.op}(${h ? 'h' : 'f'}${folded ? 'g' : ''}${q ? `,${q}` : ''}${it.op === 'stage' ? '' : `,${+it.hostHalf}`})`);
    steps.push((g, half, d) => {
      const w = g.input(`w${i}`, h ? 'float16' : 'float32', [`R${i}`, `C${i}`]);
      // float16 × 2⁻ˢ is exact; × γ (a folded norm) is the one float32 multiply fuse.ts did on the host.
      const scaled = h ? g.node('Mul', [toFloat(g, w), g.input(`s${i}`, 'float32', [1])]) : w;
      const wf = folded ? g.node('Mul', [scaled, g.input(`g${i}`, 'float32', [`C${i}`])]) : scaled;
      const T = (x: string) => g.node('Transpose', [x], { perm: [1, 0] });
      if (it.op === 'stage') {
        g.node('Identity', [w], {}, { out: `r${i}` });
        g.output(`r${i}`, h ? 'float16' : 'float32');
        const t = T(wf);
        g.node('Identity', [half ? toHalf(g, t) : t], {}, { out: `yt${i}` });
        g.output(`yt${i}`, actType(half));
        return;
      }
      if (it.op === 'mulRight') {
        const y = g.node('MatMul', [wf, declareQ(g, d, q)]);
        outputs(g, i, half, y, T(y), it.hostHalf);
        return;
      }
      const yt = g.node('MatMul', [T(wf), declareQ(g, d, q)]);
      outputs(g, i, half, T(yt), yt, it.hostHalf);
    });
  });
  return {
    key: `products:${keyParts.join(';')}`,
    feeds,
    build: (half) => {
      const g = new GraphBuilder(`products${half ? '-f16' : ''}`);
      const declared = new Set<string>();
      for (const s of steps) s(g, half, declared);
      return g;
    },
    device: (name) => name.startsWith('yt') || name.startsWith('r'),
  };
}

function outputs(g: GraphBuilder, i: number, half: boolean, y: string, yt: string, hostHalf: boolean): void {
  g.node('Identity', [hostHalf ? toHalf(g, y) : y], {}, { out: `y${i}` });
  g.output(`y${i}`, hostHalf ? 'float16' : 'float32');
  g.node('Identity', [half ? toHalf(g, yt) : yt], {}, { out: `yt${i}` });
  g.output(`yt${i}`, actType(half));
}
