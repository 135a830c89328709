// Per-layer checkpoints. After every layer the job persists what the next layer needs — its inputs
// (rotated, sliced activations), the incoming rotation Q and the statistics so far — next to the layer shards
// already written in the output folder. Every file is written under a fresh name, flushed and renamed, and
// `state.json` (which names them) is replaced last, so a SIGKILL at any instant leaves either the previous
// or the new checkpoint, both consistent. A resumed run reads back exactly the bytes an uninterrupted run
// held in memory, so it produces a bit-identical model.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ActivationStore, type RamBudget } from './activations';
import { CheckpointMismatchError } from './errors';
import { float64Q } from './q-matrix';
import { explainDiskFull } from '../files/disk-full';
import type { LayerBoundary, LayerTiming, SignalStats } from './rotate-and-slice';

interface StateJson {
  version: 1;
  fingerprint: string;
  nextLayer: number;
  inputsFile: string;
  qFile: string;
  width: number;
  chunkTokens: number[];
  stats: SignalStats[];
  timings: LayerTiming[];
  /** What a mode of its own needs besides the boundary (the uniform rotation: its pass and signal list). */
  extra?: Record<string, unknown>;
  /** Float32 files written once and kept until dropped (the uniform rotation's second moments), with their lengths. */
  blobs?: { name: string; floats: number }[];
}

/** A boundary taken to be written (Checkpoint.take): everything on the host and copied, nothing shared with the job. */
export interface TakenBoundary {
  nextLayer: number;
  width: number;
  host: Float32Array[];
  /** Float64 (a float32 Q widened exactly: the file stays float64). */
  q: Float64Array;
  stats: SignalStats[];
  timings: LayerTiming[];
  more: SaveExtras;
}

/** A saved boundary as `load` returns it: the layer boundary plus what `save` was given besides it. */
export type SavedBoundary = Omit<LayerBoundary, 'q'> & { q: Float64Array; extra: Record<string, unknown>; blobs: string[] };

export interface SaveExtras {
  extra?: Record<string, unknown>;
  /** New float32 files to keep beside the state (each written once, under a name that never changes content). */
  addBlobs?: Record<string, Float32Array>;
  /** 'drop': the blobs saved so far are no longer needed (default: kept). */
  blobs?: 'keep' | 'drop';
}

/**
 * The checkpoint key: a hash of everything that determines the result (model files, calibration tokens,
 * settings); a checkpoint resumes only a slice with the same key. (Not the store's run fingerprint, nor a
 * folder's content fingerprint: base/folder-hash.ts.)
 */
export function checkpointKey(o: { modelFolder: string; ids: Int32Array; settings: Record<string, unknown> }): string {
  const h = createHash('sha256');
  const files = readdirSync(o.modelFolder)
    .filter((f) => f === 'config.json' || f.endsWith('.safetensors') || f.endsWith('.index.json'))
    .sort();
  for (const f of files) {
    const p = join(o.modelFolder, f);
    const st = statSync(p);
    h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
    // Hashing all weights of a 70B model would take minutes; the safetensors header (names, shapes, offsets)
    // plus size and mtime identifies the file, and config.json is hashed whole.
    const fd = openSync(p, 'r');
    try {
      const head = Buffer.alloc(Math.min(st.size, 1 << 20));
      readSync(fd, head, 0, head.length, 0);
      h.update(head);
    } finally {
      closeSync(fd);
    }
  }
  h.update(new Uint8Array(o.ids.buffer, o.ids.byteOffset, o.ids.byteLength));
  h.update(JSON.stringify(o.settings, Object.keys(o.settings).sort()));
  return h.digest('hex');
}

const AFTER_DISK_FULL = 'the last complete checkpoint is kept: free some space and resume (--resume)';

/**
 * Writes `file` under `<file>.tmp`, flushed, then renamed; a failed write (a full disk) removes the temporary.
 * Asynchronous file calls: the event loop (the next layer's passes) goes on meanwhile.
 */
async function writeDurable(file: string, chunks: Uint8Array[]): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      for (const c of chunks) {
        let done = 0;
        while (done < c.byteLength) done += (await fh.write(c, done, Math.min(c.byteLength - done, 1 << 30))).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw explainDiskFull(
      e,
      file,
      chunks.reduce((n, c) => n + c.byteLength, 0),
      'the checkpoint',
      AFTER_DISK_FULL,
    );
  }
}

/** Why a checkpoint cannot be used as it is (files it names are missing or truncated), or null when it is whole. */
function incomplete(dir: string, st: StateJson): string | null {
  const size = (f: string) => {
    try {
      return statSync(join(dir, f)).size;
    } catch {
      return -1;
    }
  };
  const inputs = st.chunkTokens.reduce((n, t) => n + t, 0) * st.width * 4;
  if (size(st.inputsFile) !== inputs) return `its activations (${st.inputsFile}) are ${size(st.inputsFile) < 0 ? 'missing' : 'truncated'}`;
  const q = size(st.qFile);
  if (q <= 0 || q % 8 !== 0) return `its rotation (${st.qFile}) is ${q < 0 ? 'missing' : 'truncated'}`;
  for (const b of st.blobs ?? []) if (size(b.name) !== b.floats * 4) return `${b.name} is ${size(b.name) < 0 ? 'missing' : 'truncated'}`;
  return null;
}

export class Checkpoint {
  readonly dir: string;
  /** checkpointKey's hash (stored as state.json's `fingerprint`, the on-disk name kept). */
  readonly key: string;
  /** Blobs the current state names (name → floats). */
  #blobs = new Map<string, number>();

  constructor(outFolder: string, key: string) {
    this.dir = join(outFolder, '.checkpoint');
    this.key = key;
  }

  get exists(): boolean {
    return existsSync(join(this.dir, 'state.json'));
  }

  /**
   * The saved boundary, or null when there is none. Throws when it belongs to another run. A checkpoint that
   * a kill left incomplete (its state names files that are gone or short — e.g. killed while the finished
   * run removed it) is discarded with a note through `log`, and the run starts from the first layer.
   */
  load(budget: RamBudget, scratch: string, log: (message: string) => void = () => {}): SavedBoundary | null {
    const p = join(this.dir, 'state.json');
    if (!existsSync(p)) return null;
    let st: StateJson;
    try {
      st = JSON.parse(readFileSync(p, 'utf8')) as StateJson;
    } catch {
      log('the checkpoint is unreadable (state.json): starting from the first layer');
      this.remove();
      return null;
    }
    if (st.fingerprint !== this.key) throw new CheckpointMismatchError('the checkpoint in the output folder was made with another model, calibration data or settings; remove it or drop --resume');
    const why = incomplete(this.dir, st);
    if (why) {
      log(`the checkpoint is incomplete (${why}): starting from the first layer`);
      this.remove();
      return null;
    }
    const inputs = new ActivationStore({ name: `in-r${st.nextLayer}`, width: st.width, dir: scratch, budget });
    const raw = readFileSync(join(this.dir, st.inputsFile));
    let off = 0;
    st.chunkTokens.forEach((tokens, b) => {
      const bytes = tokens * st.width * 4;
      const x = new Float32Array(tokens * st.width);
      new Uint8Array(x.buffer).set(raw.subarray(off, off + bytes));
      off += bytes;
      inputs.set(b, x);
    });
    if (off !== raw.byteLength) throw new CheckpointMismatchError('the checkpoint activations have the wrong size (corrupt checkpoint?)');
    const qb = readFileSync(join(this.dir, st.qFile));
    const q = new Float64Array(qb.byteLength / 8);
    new Uint8Array(q.buffer).set(qb);
    this.#blobs = new Map((st.blobs ?? []).map((x) => [x.name, x.floats]));
    return { nextLayer: st.nextLayer, inputs, q, stats: st.stats, timings: st.timings, extra: st.extra ?? {}, blobs: [...this.#blobs.keys()] };
  }

  /** A blob the loaded state names, read back exactly. */
  readBlob(name: string): Float32Array {
    const raw = readFileSync(join(this.dir, name));
    const x = new Float32Array(raw.byteLength / 4);
    new Uint8Array(x.buffer).set(raw);
    return x;
  }

  /** Saves the boundary: its files durable, then state.json (the two halves below, one after the other). */
  async save(b: LayerBoundary, more: SaveExtras = {}): Promise<void> {
    await this.commit(await this.take(b, more));
  }

  /**
   * The boundary as it is now, on the host: the inputs' device-resident chunks downloaded (one layer's inputs
   * at a time), the statistics and timings copied — what `commit` writes, whatever the job does meanwhile.
   */
  async take(b: LayerBoundary, more: SaveExtras = {}): Promise<TakenBoundary> {
    const host: Float32Array[] = [];
    for (let i = 0; i < b.inputs.length; i++) host.push(await b.inputs.host(i));
    return { nextLayer: b.nextLayer, width: b.inputs.width, host, q: float64Q(b.q), stats: [...b.stats], timings: b.timings.map((t) => ({ ...t })), more };
  }

  /**
   * Writes a taken boundary: its files under fresh names, flushed and renamed, then state.json that names them,
   * then the previous state's files go. Commits must run one at a time, in order (CheckpointQueue).
   */
  async commit(t: TakenBoundary): Promise<void> {
    const { more } = t;
    mkdirSync(this.dir, { recursive: true });
    const inputsFile = `inputs-${t.nextLayer}.f32`;
    const qFile = `q-${t.nextLayer}.f64`;
    const chunkTokens: number[] = [];
    const chunks = t.host.map((x) => {
      chunkTokens.push(x.length / t.width);
      return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    });
    await writeDurable(join(this.dir, inputsFile), chunks);
    await writeDurable(join(this.dir, qFile), [new Uint8Array(t.q.buffer, t.q.byteOffset, t.q.byteLength)]);
    const blobs = more.blobs === 'drop' ? new Map<string, number>() : new Map(this.#blobs);
    for (const [name, x] of Object.entries(more.addBlobs ?? {})) {
      await writeDurable(join(this.dir, name), [new Uint8Array(x.buffer, x.byteOffset, x.byteLength)]);
      blobs.set(name, x.length);
    }
    const state: StateJson = {
      version: 1,
      fingerprint: this.key,
      nextLayer: t.nextLayer,
      inputsFile,
      qFile,
      width: t.width,
      chunkTokens,
      stats: t.stats,
      timings: t.timings,
      ...(more.extra ? { extra: more.extra } : {}),
      ...(blobs.size ? { blobs: [...blobs].map(([name, floats]) => ({ name, floats })) } : {}),
    };
    await writeDurable(join(this.dir, 'state.json'), [Buffer.from(JSON.stringify(state))]);
    this.#blobs = blobs;
    // Only now are the previous layer's files unreferenced.
    for (const f of readdirSync(this.dir)) if (f !== 'state.json' && f !== inputsFile && f !== qFile && !blobs.has(f)) rmSync(join(this.dir, f), { force: true });
  }

  remove(): void {
    this.#blobs.clear();
    // state.json first: a kill in the middle of removing the rest leaves no state that names missing files.
    rmSync(join(this.dir, 'state.json'), { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
