// Measured per-layer seconds of the slicing job, the table the cost prediction (predict.ts) scales from.
// Each point is one benchmark run (file in bench/results/ unless said otherwise): the model shape it ran,
// the calibration size, and the mean seconds per transformer layer of each phase. test/plan/predict.test.ts
// checks that the predictions reproduce the result files, so this table cannot silently drift from them.

export interface MeasuredShape {
  hiddenSize: number;
  /** Parameters of one transformer layer. */
  layerParams: number;
  /** numHeads × headDim. */
  qOut: number;
  vocabSize: number;
  nsamples: number;
  seqlen: number;
  /** Attention heads and MLP width: needed only where VRAM was measured (its model reads them). */
  numHeads?: number;
  intermediateSize?: number;
}

export interface MeasuredPoint {
  label: string;
  /** Where the numbers come from. */
  source: string;
  shape: MeasuredShape;
  /** Mean seconds per transformer layer ('load' = reading + fusing the weights: null where not measured or not a real load; a phase is null where a newer engine's point of the same shape supersedes it). */
  perLayer: { load: number | null; signals: number; pca: number; rotate: number | null };
  /** The eigensolver of the PCA phase (pca-solver.ts's names): 'wgsl' on the GPU, 'float64' on the CPU. */
  pcaSolver: 'wgsl' | 'float64';
  /** The embeddings' rotation (layer −1), seconds; null when not measured. */
  embedding: number | null;
  /** Peak resident set of the process (bytes); null when not measured. */
  peakRssBytes: number | null;
  /** Peak GPU memory (bytes, nvidia-smi's whole-device peak during the slice); null when not measured. */
  peakVramBytes: number | null;
  /** The run's activation budgets (bench/slice.ts defaults: 40 GiB on the GPU, 48 GiB of RAM). */
  budgets: { deviceBytes: number; ramBytes: number };
}

const BENCH_BUDGETS = { deviceBytes: 40 * 2 ** 30, ramBytes: 48 * 2 ** 30 };

/** A machine + execution provider + signal engine the table has measurements for. */
export interface HardwareProfile {
  id: string;
  description: string;
  ep: 'webgpu' | 'cpu';
  engine: 'device' | 'host';
  /** CPU cores of the measuring machine (CPU-bound phases scale with cores elsewhere). */
  cores: number;
  points: MeasuredPoint[];
}

const LLAMA2_7B = { hiddenSize: 4096, layerParams: 202_383_360, qOut: 4096, vocabSize: 32000, numHeads: 32, intermediateSize: 11008 };
const LLAMA2_70B = { hiddenSize: 8192, layerParams: 855_654_400, qOut: 8192, vocabSize: 32000, numHeads: 64, intermediateSize: 28672 };

export const PROFILES: HardwareProfile[] = [
  {
    id: 'h100-webgpu',
    description: 'one H100 (WebGPU EP, activations on the GPU) with 16 CPU cores',
    ep: 'webgpu',
    engine: 'device',
    cores: 16,
    points: [
      {
        // the whole 7B slice job through the file path (synth bf16 shards), float16 passes, rotations on the
        // GPU, the float64 CPU eigensolver; load overlaps the passes (the next layer is prefetched). Kept for
        // what the synthetic runs below do not measure: a real load, the peak VRAM, and the peak RSS of a run
        // that holds the prefetched layer; its signals and rotate agree with session 7's (6.57 vs 6.52, 3.45 vs 3.08).
        label: 'LLaMA-2-7B, 32 layers from bf16 shards, 128 × 2048 (float64 CPU eigh)',
        source: 'bench/results/pipeline-llama2-7b-h100.json (slice phase)',
        shape: { ...LLAMA2_7B, nsamples: 128, seqlen: 2048 },
        // rotate (3.45 s, float16 products widened on the host) is superseded by session 9's lazy products: null.
        perLayer: { load: 0.059, signals: 6.573, pca: 14.218, rotate: null },
        pcaSolver: 'float64',
        embedding: 13.686,
        peakRssBytes: 10_498_498_560,
        peakVramBytes: 15_663_628_288,
        budgets: { deviceBytes: 4 * 2 ** 30, ramBytes: 4 * 2 ** 30 },
      },
      {
        // Session 10 (2026-12-07, 12:53–12:57 UTC), the current engine: WGSL eigh with the D&C's M built on the device,
        // float16 products kept lazy, Q float32, the moment damped and scaled straight into the solver's upload, the
        // device's compensated pair adopted (no float64 add), the secular pool on shared counters. 2 layers of random
        // weights: 'load' there is JS generating them (not a real load, left out); no prefetch, so its peak RSS lacks the
        // next layer a file-backed run holds. (Session 9's engine: 6.17 / 2.51 / 1.60 s; session 7's: 6.52 / 5.89 / 3.08.)
        label: 'LLaMA-2-7B shape, 2 layers, 128 × 2048 (WGSL eigh, session 10)',
        source: 'bench/results/slice-7b-h100-session10.json (ours.gpuEigh)',
        shape: { ...LLAMA2_7B, nsamples: 128, seqlen: 2048 },
        perLayer: { load: null, signals: 5.763, pca: 1.715, rotate: 1.386 },
        pcaSolver: 'wgsl',
        embedding: 9.558,
        peakRssBytes: 9_550_188_544,
        peakVramBytes: null,
        budgets: BENCH_BUDGETS,
      },
      {
        // Session 9 (lease 08:34–08:49 UTC), one 70B-shape layer at --vram-gb 20 (all activations on the GPU), the
        // engine of that morning: WGSL eigh with the host-built M, float16 products widened (rotate's widen was 4.82 s
        // of the 12.19 and went with the lazy products the same day) — so this point over-predicts today's engine.
        // Session 7's: 24.04 / 24.59 / 12.85 s; issue #11's older engine: 31 / 65 / 36.5 s.
        label: 'LLaMA-2-70B shape, 1 layer, 128 × 2048 (WGSL eigh, session 9 morning)',
        source: 'bench/results/slice-70b-h100-session9.json',
        shape: { ...LLAMA2_70B, nsamples: 128, seqlen: 2048 },
        perLayer: { load: null, signals: 23.61, pca: 13.768, rotate: 12.186 },
        pcaSolver: 'wgsl',
        embedding: 34.898,
        peakRssBytes: 26_654_081_024,
        peakVramBytes: null,
        budgets: { deviceBytes: 20 * 2 ** 30, ramBytes: 48 * 2 ** 30 },
      },
    ],
  },
  {
    id: 'h100-cpu16',
    description: "the H100 machine's 16 CPU cores (CPU EP, float64 host engine)",
    ep: 'cpu',
    engine: 'host',
    cores: 16,
    points: [
      {
        label: 'LLaMA-2-7B shape, 16 × 2048',
        source: 'bench/results/slice-synthetic-llama2-7b-cpu-h100-16cores.json',
        shape: { ...LLAMA2_7B, nsamples: 16, seqlen: 2048 },
        perLayer: { load: null, signals: 46.879, pca: 21.165, rotate: 9.439 },
        pcaSolver: 'float64',
        embedding: 25.119,
        peakRssBytes: 16_650_457_088,
        peakVramBytes: null,
        budgets: BENCH_BUDGETS,
      },
    ],
  },
  {
    id: 'cpu2',
    description: 'a 2-core development machine (CPU EP, float64 host engine)',
    ep: 'cpu',
    engine: 'host',
    cores: 2,
    points: [
      {
        label: 'LLaMA-2-7B shape, 16 × 2048',
        source: 'bench/results/slice-synthetic-llama2-7b-cpu-here-2cores.json',
        shape: { ...LLAMA2_7B, nsamples: 16, seqlen: 2048 },
        perLayer: { load: 9.58, signals: 109.323, pca: 35.359, rotate: 38.185 },
        pcaSolver: 'float64',
        embedding: 73.426,
        peakRssBytes: 16_380_764_160,
        peakVramBytes: null,
        budgets: BENCH_BUDGETS,
      },
      {
        // tiny-llama's shapes (D 256, MLP 704, vocab 4096, 2 layers): per-call overheads dominate here
        label: 'tiny config (D 256), 8 × 128',
        source: 'bench/results/pipeline-tiny-config-cpu-here.json (slice phase)',
        shape: { hiddenSize: 256, layerParams: 737_792, qOut: 256, vocabSize: 4096, nsamples: 8, seqlen: 128 },
        perLayer: { load: 0.039, signals: 0.802, pca: 1.154, rotate: 0.335 },
        pcaSolver: 'float64',
        embedding: 2.944,
        peakRssBytes: 337_240_064,
        peakVramBytes: null,
        budgets: { deviceBytes: 4 * 2 ** 30, ramBytes: 4 * 2 ** 30 },
      },
    ],
  },
];

/** Seconds no phase goes below, whatever the shape: per-call overheads (ORT runs, JS), from the tiny point above. */
export const FLOOR = { load: 0.039, signals: 0.802, pca: 1.154, rotate: 0.335, embedding: 2.944 };
