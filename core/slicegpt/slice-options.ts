// What a slice is asked for and what it returns, whichever algorithm runs it (per-layer in slice-model.ts,
// uniform in uniform.ts): kept apart so the two algorithms share the shapes without importing each other.
import type { ExecutionProvider } from '../runtime/contract';
import type { SliceSchedule } from './schedule';
import type { Calibration, LayerTiming, RotationProvider, SignalStats } from './rotate-and-slice';
import type { OutputDtype } from './output';
import type { PassDtype } from '../runtime/runner';
import type { CheckpointCadenceOptions } from './checkpoint-cadence';

export interface SliceOptions {
  /** Dense Hugging Face model folder. */
  model: string;
  /** Fraction of the hidden width to delete, in [0, 1). */
  ratio: number;
  /** 'wikitext2' | 'alpaca' | a local .txt/.jsonl file. */
  cal: string;
  nsamples: number;
  seqlen: number;
  sampling: 'first' | 'random';
  seed: number;
  /** Kept widths are multiples of this (default 8). */
  round: number;
  sliceHead: boolean;
  out: string;
  ep: ExecutionProvider;
  /** Continue from the checkpoint in `out`. */
  resume: boolean;
  /**
   * Seconds of work between checkpoints of big layer boundaries (--checkpoint-every; default 120, 0: every
   * layer; boundaries ≤ 256 MiB and the last layer's are always taken): checkpoint-cadence.ts.
   */
  checkpointEvery?: number;
  /** Tests: the rest of the checkpoint cadence (its small-boundary threshold, its clock). */
  checkpointCadence?: Omit<CheckpointCadenceOptions, 'everySeconds'>;
  /** Windows per block call (default: about 4096 tokens per call). */
  batchSize?: number;
  /** Activations above this many bytes spill to disk (default 4 GiB). */
  ramBudgetBytes?: number;
  /** Where spilled activations go (default `<out>/.scratch`): a folder of its own, emptied before and after. */
  scratch?: string;
  /** Weight and shortcut dtype of the written model (default: the source weights' dtype). */
  dtype?: OutputDtype;
  /** Pre-tokenized calibration windows (bypasses cal/sampling/seed). */
  calibration?: Calibration;
  /** Replace PCA (tests: random orthogonal rotations). */
  rotations?: RotationProvider;
  /**
   * 'per-layer' (default): the paper's algorithm, a rotation per signal and shortcut matrices.
   * 'uniform': one rotation for the whole residual stream, no shortcuts, head sliced (GGUF-exportable; uniform.ts).
   */
  rotation?: 'per-layer' | 'uniform';
  /**
   * Where calibration activations live (engine.ts): 'host' — float64 products on the CPU; 'device' —
   * activations stay on the EP's device, Gram matrices per batch in float32 summed in float64. Default:
   * 'device' on a GPU EP, 'host' on the CPU.
   */
  engine?: 'host' | 'device';
  /** Device engine: bytes of activations kept on the GPU before chunks go to host RAM (default 4 GiB). */
  deviceBudgetBytes?: number;
  /** The most RAM the slice may use (--ram-gb): refused before any work when the predicted peak is more. */
  ramLimitBytes?: number;
  /** Memory of the GPU the slice runs on (the slice job detects it): refused before any work when the predicted VRAM is more. */
  deviceMemoryBytes?: number;
  /**
   * Device engine: element type of the calibration passes (engine.ts). Default: 'f16' on GPU EPs, 'f32'
   * on the CPU. The host engine always passes float32.
   */
  passDtype?: PassDtype;
}

export interface SliceResult {
  out: string;
  d: number;
  schedule: SliceSchedule;
  stats: SignalStats[];
  timings: LayerTiming[];
  seconds: number;
  /** Layer the run resumed at (null = fresh run). */
  resumedAt: number | null;
  /** Layer boundaries checkpointed and skipped by the cadence (checkpoint-cadence.ts), in this session. */
  checkpoints: { taken: number; skipped: number };
  spilledChunks: number;
  /** Peak resident set size of the process (bytes). */
  peakRssBytes: number;
  /** The dtype the weights and shortcuts were written in. */
  dtype: OutputDtype;
}
