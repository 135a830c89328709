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
  perLayer: { load: number | null; signals: number | null; pca: number | null; rotate: number | null };
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
        // Session 12 (2026-12-07, 17:17–17:37 UTC), the whole 7B slice job through the file path (synth bf16 shards,
        // the next layer prefetched and yielding to the PCA and products, checkpoints every 120 s of work — 4 taken of
        // 33 —, each shard written while the next layer runs), float16 passes, the WGSL eigensolver: what a user's job
        // costs, so the table's 7B PCA and rotate come from here. Means over all 32 layers (layer 0 pays session
        // creation). Session 11's run of the same job: 5.69 / 6.21 / 3.99 s, the PCA slowed by the prefetch's host work.
        // Still inside rotate: ~3.3 s a layer of the next layer's host work (read, fuse, float16 forms) blocking the
        // loop — the last layer, with nothing to prefetch, rotated in 1.41 s. Not modelled: the checkpoint waits
        // (15.4 s in all here) and the head; the whole job is 1.05× the prediction's (bench/results/planner-check-session12.json).
        label: 'LLaMA-2-7B, 32 layers from bf16 shards, 128 × 2048 (WGSL eigh, session 12)',
        source: 'bench/results/pipeline-llama2-7b-h100-session12.json (slice phase)',
        shape: { ...LLAMA2_7B, nsamples: 128, seqlen: 2048 },
        perLayer: { load: 0.129, signals: 5.689, pca: 1.693, rotate: 4.633 },
        pcaSolver: 'wgsl',
        embedding: 6.605,
        peakRssBytes: 17_927_680_000,
        peakVramBytes: 16_934_502_400,
        budgets: { deviceBytes: 4 * 2 ** 30, ramBytes: 4 * 2 ** 30 },
      },
      {
        // The same job in session 7 with the float64 CPU eigensolver: kept for that solver's PCA only (its other
        // phases ran older engines and are superseded by the run above).
        label: 'LLaMA-2-7B, 32 layers from bf16 shards, 128 × 2048 (float64 CPU eigh)',
        source: 'bench/results/pipeline-llama2-7b-h100.json (slice phase)',
        shape: { ...LLAMA2_7B, nsamples: 128, seqlen: 2048 },
        perLayer: { load: null, signals: null, pca: 14.218, rotate: null },
        pcaSolver: 'float64',
        embedding: null,
        peakRssBytes: null,
        peakVramBytes: null,
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
        // Its PCA and rotate are superseded by the file-path job above (the same shape and solver, 3.6× and 2.9× these).
        perLayer: { load: null, signals: 5.763, pca: null, rotate: null },
        pcaSolver: 'wgsl',
        embedding: 9.558,
        peakRssBytes: 9_550_188_544,
        peakVramBytes: null,
        budgets: BENCH_BUDGETS,
      },
      {
        // Session 11 (2026-12-07, same lease as the pipeline above), one 70B-shape layer at --vram-gb 20 (all activations
        // on the GPU), the current engine, random weights (no file path: 138 GB of weights do not fit the machine's
        // disk). One layer, so it includes the first layer's graph compilation. If the file path costs at 70B what it
        // costs at 7B (above), this point predicts low. (Session 9's engine: 23.61 / 13.77 / 12.19 s, 26.7 GB.)
        label: 'LLaMA-2-70B shape, 1 layer, 128 × 2048 (WGSL eigh, session 11)',
        source: 'bench/results/slice-70b-h100-session11.json',
        shape: { ...LLAMA2_70B, nsamples: 128, seqlen: 2048 },
        perLayer: { load: null, signals: 21.319, pca: 7.855, rotate: 7.084 },
        pcaSolver: 'wgsl',
        embedding: 31.477,
        peakRssBytes: 23_643_926_528,
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
