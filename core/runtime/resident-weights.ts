// Device-resident mode (SliceGPT's calibration passes on a GPU EP): every 2-D weight is uploaded once
// and reused until release(), linear weights uploaded transposed for MatMul (see graphs/primitives.ts),
// and, for float16 passes, linear weights and shortcuts rounded to float16 on the way.
import type ort from 'onnxruntime-node';
import type { BlockSig } from './graphs/signature';
import { type DeviceTensors, releaseTensor } from './device';
import { RuntimeError, type Feeds } from './block-feeds';
import { onDeviceAsCounted } from './transfer-count';
import { widened } from '../model/lazy-half';

export class ResidentWeights {
  readonly device: DeviceTensors;
  /** Whether the passes run float16 graphs. */
  readonly half: boolean;
  /** Each host weight array's uploads, by layout (transposed, float16). */
  readonly #uploads = new Map<Float32Array, Map<string, Promise<ort.Tensor>>>();
  /** Placeholders that stand for released host values (rekey): their own values are zeros, never to be uploaded. */
  readonly #placeholders = new WeakSet<Float32Array>();

  constructor(device: DeviceTensors, half: boolean) {
    this.device = device;
    this.half = half;
  }

  /**
   * Every 2-D float host feed but the activations (weights, shortcut, RoPE tables, mask) replaced by
   * its device copy, uploaded on first use (or adopted, see adopt()); linear weights transposed when
   * the graph multiplies in × out weights; linear weights and the shortcut rounded to float16 for a
   * `half` graph (the embedding tables, RoPE tables and mask stay float32).
   */
  async feeds(sig: BlockSig, feeds: Feeds, half: boolean): Promise<Feeds> {
    const block = sig.kind === 'attention' || sig.kind === 'mlp' || sig.kind === 'parallel';
    const out: Feeds = {};
    await this.#uploadVectors(feeds);
    for (const [name, t] of Object.entries(feeds)) {
      if (t.type === 'float32' && t.dims.length === 1 && t.location === 'cpu' && !onDeviceAsCounted(t)) {
        out[name] = await this.#layouts(t.data as Float32Array).get('v')!;
        continue;
      }
      if (name === 'x' || onDeviceAsCounted(t) || t.type !== 'float32' || t.dims.length !== 2) {
        out[name] = t;
        continue;
      }
      const transpose = block && name.endsWith('.weight');
      out[name] = await this.#upload(t.data as Float32Array, t.dims[0], t.dims[1], transpose, half && (transpose || (block && name === 'shortcut')));
    }
    // Host activations (spilled chunks) enter a float16 graph rounded on the device.
    if (half && out.x && out.x.type === 'float32') out.x = await this.device.toHalf(out.x);
    return out;
  }

  /**
   * The 1-D float32 feeds (norm weights, biases) not on the device yet, uploaded together in one run: fed
   * from the host, each would make every block run a host-fed run (on WebGPU a host→device copy per run).
   */
  async #uploadVectors(feeds: Feeds): Promise<void> {
    const fresh = new Map<Float32Array, ort.Tensor>();
    for (const t of Object.values(feeds)) {
      // `data` throws for a tensor on the device: read it only once the tensor is known to be on the host.
      if (t.type !== 'float32' || t.dims.length !== 1 || t.location !== 'cpu' || onDeviceAsCounted(t)) continue;
      const data = t.data as Float32Array;
      if (!this.#layouts(data).has('v')) fresh.set(data, t);
    }
    if (!fresh.size) return;
    const up = this.device.uploadAll([...fresh.values()]);
    [...fresh.keys()].forEach((data, i) =>
      this.#layouts(data).set(
        'v',
        up.then((ts) => ts[i]),
      ),
    );
    await up;
  }

  #upload(data: Float32Array, rows: number, cols: number, transpose: boolean, half: boolean): Promise<ort.Tensor> {
    const byLayout = this.#layouts(data);
    const layout = `${transpose ? 'T' : ''}${half ? 'h' : ''}`;
    let up = byLayout.get(layout);
    if (!up && this.#placeholders.has(data)) throw new RuntimeError('a kept weight lost its device copy (released while its layer was still in use): its host values are gone');
    if (!up) {
      // Not adopted: the values are read, so a lazy float16 matrix's are filled (model/lazy-half.ts).
      up = this.device.upload(widened(data), rows, cols, transpose, half);
      byLayout.set(layout, up);
    }
    return up;
  }

  #layouts(data: Float32Array): Map<string, Promise<ort.Tensor>> {
    let byLayout = this.#uploads.get(data);
    if (!byLayout) this.#uploads.set(data, (byLayout = new Map()));
    return byLayout;
  }

  /** `pass`, already on the device, stands for the host weight `data` (see OrtRunner.adopt). */
  adopt(data: Float32Array, pass: ort.Tensor, kind: 'weight' | 'shortcut'): void {
    this.#layouts(data).set(`${kind === 'weight' ? 'T' : ''}${this.half ? 'h' : ''}`, Promise.resolve(pass));
  }

  /**
   * Moves the device copies of host array `data` to `to` (an array of the same length), so that `data` — and its
   * RAM — can go while feeds of `to` keep reaching the copies; false (nothing moved) when `data` has none.
   */
  rekey(data: Float32Array, to: Float32Array): boolean {
    const byLayout = this.#uploads.get(data);
    if (!byLayout || byLayout.size === 0 || to.length !== data.length) return false;
    this.#uploads.delete(data);
    this.#uploads.set(to, byLayout);
    this.#placeholders.add(to);
    return true;
  }

  /** Free every uploaded weight. */
  async release(): Promise<void> {
    const all = [...this.#uploads.values()].flatMap((m) => [...m.values()]);
    this.#uploads.clear();
    for (const u of all) releaseTensor(await u);
  }

  /** A block output on the host as float32, downloaded (and freed) if it stayed on the device, widened if float16. */
  async host(t: ort.Tensor): Promise<Float32Array> {
    if (t.location === 'cpu' && t.type === 'float32') {
      // The CPU EP's output is the host array: nothing to download, but it is done with as a device tensor.
      releaseTensor(t);
      return t.data as Float32Array;
    }
    const x = await this.device.download(t);
    releaseTensor(t);
    return x;
  }
}
