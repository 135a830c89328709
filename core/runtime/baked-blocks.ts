// Initializer mode (`weights: 'initializers'`): a block's weights baked into its graph as external-data
// initializers (model.onnx + weights.bin in a temp folder), one session per (weights object, signature),
// released with its files once `resident` newer ones have been used — weights are uploaded once per
// layer instead of once per run.
import ort from 'onnxruntime-node';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionProvider } from './contract';
import { buildGraph } from './graphs/index';
import { type BlockSig, sigKey } from './graphs/signature';
import { executionProviders } from './ep-options';
import { type Feeds, RUNTIME_FEEDS, RuntimeError } from './block-feeds';

interface BakedSession {
  session: Promise<ort.InferenceSession>;
  dir: string;
}

export class BakedBlocks {
  readonly #ep: ExecutionProvider;
  readonly #resident: number;
  /** (weights object, signature) → session, in least-recently-used order. */
  readonly #baked = new Map<string, BakedSession>();
  readonly #ownerIds = new WeakMap<object, number>();
  #nextOwner = 0;

  constructor(ep: ExecutionProvider, residentBlocks: number) {
    this.#ep = ep;
    this.#resident = residentBlocks;
  }

  get size(): number {
    return this.#baked.size;
  }

  /** Run `sig` with the weights of `feeds` baked in; only the runtime feeds are passed at run time. */
  async run(sig: BlockSig, feeds: Feeds, owner: object): Promise<ort.InferenceSession.OnnxValueMapType> {
    const runtime: Feeds = {};
    for (const [k, v] of Object.entries(feeds)) if (RUNTIME_FEEDS.has(k)) runtime[k] = v;
    return (await this.#session(sig, feeds, owner)).run(runtime);
  }

  /** Compile (once per weights object) a graph with these weights as external-data initializers. */
  #session(sig: BlockSig, feeds: Feeds, owner: object): Promise<ort.InferenceSession> {
    const key = `${this.#ownerId(owner)}:${sigKey(sig)}`;
    let b = this.#baked.get(key);
    if (b) {
      this.#baked.delete(key); // re-insert: most recently used last
      this.#baked.set(key, b);
      return b.session;
    }
    const dir = writeBakedGraph(sig, feeds);
    const session = ort.InferenceSession.create(join(dir, 'model.onnx'), { executionProviders: executionProviders(this.#ep), graphOptimizationLevel: 'all' });
    b = { session, dir };
    this.#baked.set(key, b);
    this.#evict();
    return session;
  }

  #ownerId(owner: object): number {
    let id = this.#ownerIds.get(owner);
    if (id === undefined) this.#ownerIds.set(owner, (id = this.#nextOwner++));
    return id;
  }

  #evict(): void {
    while (this.#baked.size > this.#resident) {
      const [k, old] = this.#baked.entries().next().value!;
      this.#baked.delete(k);
      void releaseBaked(old);
    }
  }

  async dispose(): Promise<void> {
    const baked = [...this.#baked.values()];
    this.#baked.clear();
    for (const b of baked) await releaseBaked(b);
  }
}

/** The graph of `sig` with every weight feed bound as an initializer, written to a new temp folder. */
function writeBakedGraph(sig: BlockSig, feeds: Feeds): string {
  const g = buildGraph(sig);
  for (const name of g.inputNames) {
    if (RUNTIME_FEEDS.has(name)) continue;
    const t = feeds[name];
    if (!t) throw new RuntimeError(`no weights for graph input ${name}`);
    g.bindInput(name, t.dims as number[], t.data as Float32Array);
  }
  const dir = mkdtempSync(join(tmpdir(), 'slice-block-'));
  const { model, chunks } = g.toExternal('weights.bin');
  const fd = openSync(join(dir, 'weights.bin'), 'w');
  try {
    for (const c of chunks) writeSync(fd, c.bytes, 0, c.bytes.byteLength, c.offset);
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(dir, 'model.onnx'), model);
  return dir;
}

async function releaseBaked(b: BakedSession): Promise<void> {
  await (await b.session.catch(() => null))?.release();
  rmSync(b.dir, { recursive: true, force: true });
}
