// `npm run bench -- host-steps [--hidden 4096 --ffn 11008 --ratio 0.25 --reps 2 --out-dir DIR]` — the host-side
// (EP-independent) work of one device-engine layer at a real shape (LLaMA-2-7B by default), each step timed
// alone on the real code: the weights' exact float16 forms (half-weights.ts), the rotations' float32 copies and
// probe shortcuts (products.ts), the products' float16 results widened (widenHalf; before) or kept as lazy float16
// matrices (model/lazy-half.ts; now), the moment's float64 finish
// (DeviceTensors.settle's host part, SecondMoment.addGram/matrix, the finite check), the eigenvectors' float64
// copy, and the layer's safetensors shard as output.ts writes it (float16; from widened arrays and from lazy ones). Best of --reps, seconds; JSON on stdout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { flags } from './lib/flags';
import { halfExact, halfExactFolded, widenHalf } from '../core/runtime/half-weights';
import { leadingColumns, leadingColumns32, transposedColumns } from '../core/slicegpt/products';
import { SecondMoment } from '../core/slicegpt/pca';
import { firstNonFinite } from '../core/model/non-finite';
import { DeviceTensors } from '../core/runtime/device';
import { toHalfBits, writeSafetensors, type TensorToWrite } from '../core/model/safetensors-writer';
import { halfToFloat } from '../core/model/safetensors';
import { halfMatrix, isPendingHalf, storageOf } from '../core/model/lazy-half';

/** Random float16-exact values (a float16 checkpoint's weights as read), deterministic. */
function halfValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = halfToFloat[toHalfBits((s / 2 ** 32 - 0.5) * 0.05)];
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const D = Number(f.get('hidden') ?? 4096);
  const F = Number(f.get('ffn') ?? 11008);
  const k = Math.round((D * (1 - Number(f.get('ratio') ?? 0.25))) / 8) * 8;
  const reps = Number(f.get('reps') ?? 2);
  const dir = mkdtempSync(join(f.get('out-dir') ?? tmpdir(), 'host-steps-'));
  const seconds: Record<string, number> = {};
  const time = async (key: string, fn: () => unknown) => {
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      await fn();
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    seconds[key] = +best.toFixed(4);
  };
  try {
    // A LLaMA layer's linears (out × in): q, k, v, o D×D; gate, up F×D; down D×F.
    const shapes: [number, number][] = [
      [D, D],
      [D, D],
      [D, D],
      [D, D],
      [F, D],
      [F, D],
      [D, F],
    ];
    const weights = shapes.map(([r, c], i) => ({ rows: r, cols: c, data: halfValues(r * c, i + 1) }));
    const gamma = halfValues(D, 99).map((x) => 1 + x);
    const fused = weights.map((w) => {
      const out = new Float32Array(w.data.length);
      for (let i = 0, j = 0; i < out.length; i++, j = j + 1 === w.cols ? 0 : j + 1) out[i] = Math.fround(w.data[i] * gamma[j]);
      return out;
    });
    // Per layer, prepare(): six readers folded (q, k, v, gate, up) — here all but o and down — and two writers plain.
    await time('prepare.halfExact', () => {
      weights.forEach((w, i) => (i === 3 || i === 6 ? halfExact(w.data) : halfExactFolded(w.data, gamma, fused[i], w.cols)));
    });
    // The products' host results (readers rows×k, writers k×cols, two k×k shortcuts), downloaded as float16 bits.
    const outShapes: [number, number][] = [
      [D, k],
      [D, k],
      [D, k],
      [k, D],
      [F, k],
      [F, k],
      [k, F],
      [k, k],
      [k, k],
    ];
    const bits = outShapes.map(([r, c], i) => {
      const v = halfValues(r * c, 50 + i);
      const b = new Uint16Array(v.length);
      for (let j = 0; j < v.length; j++) b[j] = toHalfBits(v[j]);
      return b;
    });
    let wide: Float32Array[] = [];
    // Before model/lazy-half.ts: every result widened as it came down (a fresh float32 array, every page touched).
    await time('products.widen', () => (wide = bits.map((b) => widenHalf(b))));
    // Now (device.ts products' `widen` lap): each result a lazy float16 matrix, its float32 array allocated only.
    let lazy: Float32Array[] = [];
    await time('products.halfMatrix', () => (lazy = bits.map((b, i) => storageOf(halfMatrix(outShapes[i][0], outShapes[i][1], b)))));
    // Q (float64 D×D, orthogonal enough: random) and its device copies: 3 widths' conversions per layer at most.
    const q = new Float64Array(D * D);
    for (let i = 0; i < q.length; i++) q[i] = Math.sin(i);
    await time('q.convert.before', () => Float32Array.from(leadingColumns(q, D, k)));
    await time('q.convert', () => leadingColumns32(q, D, k));
    await time('probe.transposedColumns', () => transposedColumns(q, D, k));
    await time('probe.transposedColumns.before', () => {
      const out = new Float32Array(k * D);
      for (let r = 0; r < D; r++) for (let c = 0; c < k; c++) out[c * D + r] = q[r * D + c];
    });
    // The moment: two D×D float32 downloads (s, c) → float64 s − c → the moment's sum → symmetrised copy → finite check.
    const sArr = halfValues(D * D, 7);
    const cArr = halfValues(D * D, 8).map((x) => x * 1e-7);
    const dev = new DeviceTensors('cpu');
    // Before: s − c as a float64 array, then added to the moment; now one pass (addCompensated).
    const pair = () => ({ s: [new ort.Tensor('float32', sArr, [D, D])], c: [new ort.Tensor('float32', cArr, [D, D])], edges: [0, D], rows: 1 });
    let g: Float64Array = new Float64Array(0);
    await time('moment.finish.before', async () => (g = await dev.settle(pair())));
    await time('moment.add.before', () => new SecondMoment(D).addGram(g, 1));
    const m = new SecondMoment(D);
    await time('moment.addCompensated', async () => {
      const { s, c } = await dev.settlePair(pair());
      m.addCompensated(s, c, 1);
    });
    let h: Float64Array = new Float64Array(0);
    await time('pca.moment', () => (h = m.matrix()));
    // Before: a copy, then each pair symmetrised in one row-by-row sweep (the column side strided n apart).
    await time('pca.moment.before', () => {
      const out = h.slice();
      for (let i = 0; i < D; i++)
        for (let j = 0; j < i; j++) {
          const v = (out[i * D + j] + out[j * D + i]) / 2;
          out[i * D + j] = v;
          out[j * D + i] = v;
        }
    });
    await time('pca.check', () => firstNonFinite(h));
    await time('pca.vectors64', () => Float64Array.from(new Float32Array(D * D)));
    await dev.dispose();
    // The layer's shard as output.ts writes it (float16): the 7 linears and 2 shortcuts.
    const names = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'attn_shortcut_Q', 'mlp_shortcut_Q'];
    const tensors: TensorToWrite[] = wide.map((data, i) => ({ name: names[i], dtype: 'F16', shape: outShapes[i], data }));
    await time('write.shard', () => writeSafetensors(join(dir, 'layer.safetensors'), tensors, { format: 'pt' }));
    // The same shard from the lazy matrices (output.ts passes their arrays unfilled): the bits, scanned for NaNs once.
    const lazyTensors: TensorToWrite[] = lazy.map((data, i) => ({ name: names[i], dtype: 'F16', shape: outShapes[i], data }));
    await time('write.shard.lazy', () => writeSafetensors(join(dir, 'layer.safetensors'), lazyTensors, { format: 'pt' }));
    if (!lazy.every(isPendingHalf)) throw new Error('writing the float16 shard widened a lazy matrix');
    // The same shard from copies that remember no float16 bits: every value rounded again (before half-bits.ts).
    const copies = tensors.map((t) => ({ ...t, data: t.data.slice() }));
    await time('write.shard.rounded', () => writeSafetensors(join(dir, 'layer.safetensors'), copies, { format: 'pt' }));
    const values = outShapes.reduce((a, [r, c]) => a + r * c, 0);
    console.log(JSON.stringify({ hidden: D, ffn: F, kept: k, reps, shardValues: values, seconds }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
