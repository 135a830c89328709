// The uniform rotation's checkpoints, kept by the per-layer Checkpoint (same files, same kill-safety, same
// fingerprint check) with what its two passes need besides a layer boundary:
// - signal pass, after layer i: the next layer's inputs, C = Σ M/trace(M) so far (in the rotation's file),
//   the signals seen and each one's moment (a blob written once: a layer adds its own, none is rewritten);
// - rotation pass, after layer i is written: Q, its leading eigenvalues and every signal's kept share
//   (the moments are dropped: the stats hold what they were kept for).
// A resumed run reads back exactly what the uninterrupted one held, so its folder is byte-identical.
// Which boundaries are saved is the cadence's (checkpoint-cadence.ts), as in per-layer mode: at 7B and 16 × 2048
// a signal-pass boundary is 768 MiB (inputs 512, C 128, two moments 128), written before the next layer starts;
// a skipped one costs nothing, and the moments of the layers it skipped are written with the next one taken.
import { ActivationStore, type RamBudget } from './activations';
import { Checkpoint, checkpointKey } from './checkpoint';
import type { CheckpointCadence } from './checkpoint-cadence';
import { CheckpointMismatchError } from './errors';
import type { LayerTiming, SignalName, SignalStats } from './rotate-and-slice';

/** One residual-stream signal of pass 1: where it is, how many tokens, trace(M) (its weight in C). */
export interface UniformSignal {
  layer: number | null;
  signal: SignalName;
  tokens: number;
  trace: number;
}

/** The one rotation and what it keeps. */
export interface UniformAxes {
  q: Float64Array;
  top: number[];
  stats: SignalStats[];
  explainedVariance: number;
}

export type UniformResume = { stage: 'signals'; nextLayer: number; inputs: ActivationStore; c: Float64Array; signals: UniformSignal[]; timings: LayerTiming[] } | { stage: 'rotate'; nextLayer: number; axes: UniformAxes; timings: LayerTiming[] };

const momentBlob = (k: number) => `moment-${k}.f32`;

export class UniformCheckpoint {
  #checkpoint: Checkpoint;
  readonly #cadence: CheckpointCadence | null;
  /** Signal moments the saved state holds as blobs (the first this many); the rest go with the next save. */
  #momentsSaved = 0;

  constructor(out: string, what: Parameters<typeof checkpointKey>[0], cadence?: CheckpointCadence) {
    this.#checkpoint = new Checkpoint(out, checkpointKey(what));
    this.#cadence = cadence ?? null;
  }

  #due(nextLayer: number, bytes: number): boolean {
    return this.#cadence === null || this.#cadence.due(nextLayer, bytes);
  }

  /** The saved state (null: none, or one a kill left incomplete); throws when it belongs to other settings. */
  load(budget: RamBudget, scratch: string, log: (message: string) => void): UniformResume | null {
    const b = this.#checkpoint.load(budget, scratch, log);
    if (!b) return null;
    const x = b.extra;
    if (x.stage === 'signals' && Array.isArray(x.signals)) {
      this.#momentsSaved = x.signals.length;
      return { stage: 'signals', nextLayer: b.nextLayer, inputs: b.inputs, c: b.q, signals: x.signals as UniformSignal[], timings: b.timings };
    }
    if (x.stage === 'rotate' && Array.isArray(x.top) && typeof x.explainedVariance === 'number') {
      b.inputs.clear();
      return {
        stage: 'rotate',
        nextLayer: b.nextLayer,
        axes: { q: b.q, top: x.top as number[], stats: b.stats, explainedVariance: x.explainedVariance },
        timings: b.timings,
      };
    }
    // A per-layer checkpoint has the same fingerprint only if its settings matched, which includes the rotation.
    throw new CheckpointMismatchError('the checkpoint in the output folder is not a uniform-rotation checkpoint; remove it or drop --resume');
  }

  readMoment(k: number): Float32Array {
    return this.#checkpoint.readBlob(momentBlob(k));
  }

  /**
   * After pass 1's layer `nextLayer - 1` (0: the embeddings), if the cadence says so: its inputs for the next, C,
   * the signals and the moments not saved yet (`moments[k]` is signal k's). Returns whether it was saved.
   */
  async saveSignals(nextLayer: number, inputs: ActivationStore, s: { c: Float64Array; list: UniformSignal[]; moments: ActivationStore }, timings: LayerTiming[]): Promise<boolean> {
    const pending = s.list.length - this.#momentsSaved;
    if (!this.#due(nextLayer, inputs.floats * 4 + s.c.length * 8 + pending * s.c.length * 4)) return false;
    const addBlobs: Record<string, Float32Array> = {};
    for (let k = this.#momentsSaved; k < s.list.length; k++) addBlobs[momentBlob(k)] = s.moments.get(k);
    await this.#checkpoint.save({ nextLayer, inputs, q: s.c, stats: [], timings }, { extra: { stage: 'signals', signals: s.list }, addBlobs });
    this.#momentsSaved = s.list.length;
    return true;
  }

  /** After pass 2 wrote layer `nextLayer - 1` (0: the embeddings), if the cadence says so (Q is the whole of it). Returns whether it was saved. */
  async saveRotation(nextLayer: number, axes: UniformAxes, timings: LayerTiming[], scratch: string, budget: RamBudget): Promise<boolean> {
    if (!this.#due(nextLayer, axes.q.length * 8)) return false;
    const none = new ActivationStore({ name: 'none', width: 1, dir: scratch, budget });
    await this.#checkpoint.save({ nextLayer, inputs: none, q: axes.q, stats: axes.stats, timings }, { extra: { stage: 'rotate', top: axes.top, explainedVariance: axes.explainedVariance }, blobs: 'drop' });
    this.#momentsSaved = 0;
    return true;
  }

  remove(): void {
    this.#checkpoint.remove();
  }
}
