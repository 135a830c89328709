// What the machine offers for slicing: GPUs (from vendor tools), CPU, RAM, disk at the data directory, and
// which onnxruntime execution providers can actually start here. Plain JSON so it crosses IPC/HTTP and
// lands in SQLite unchanged.

export type GpuVendor = 'nvidia' | 'amd' | 'apple' | 'intel' | 'other';

export interface GpuInfo {
  vendor: GpuVendor;
  name: string;
  /** Dedicated VRAM, or for unified-memory machines (Apple silicon) the system RAM the GPU shares. */
  totalBytes: number;
  /** null when the tool cannot tell (Windows CIM, Apple). */
  freeBytes: number | null;
  driver: string | null;
  /** GPU and CPU share one memory pool (Apple silicon): a model "fits" against RAM, not VRAM. */
  unifiedMemory: boolean;
  /** Which tool said so: 'nvidia-smi', 'rocm-smi', 'amdgpu-sysfs', 'system_profiler', 'windows-cim'. */
  source: string;
}

export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';

export interface ProviderProbe {
  ep: ExecutionProvider;
  available: boolean;
  /** Why it works or why not, in words a user can act on ("no WebGPU adapter: …"). */
  reason: string;
}

export interface HardwareReport {
  gpus: GpuInfo[];
  cpu: { model: string; cores: number };
  ram: { totalBytes: number; freeBytes: number };
  disk: { path: string; freeBytes: number; totalBytes: number };
  providers: ProviderProbe[];
  chosenProvider: { ep: ExecutionProvider; reason: string };
  platform: string;
  /** ISO 8601. */
  detectedAt: string;
  /** This machine's LoRA training rate, once measured (core/recover/rate-probe.ts) and stored with the snapshot. */
  trainRate?: TrainRate;
}

/** A measured training rate: tokens/s of each training step on the probe's shape, and that shape's work per token. */
export interface TrainRate {
  /** By step: the one-graph ('whole') and the layer-streamed one. */
  tokensPerSecond: { whole: number; streamed: number };
  /** The probe model's layer parameters + vocab × head width (what core/recover/defaults.ts scales by). */
  workParams: number;
  /** The probe: model, batch × tokens, steps timed per engine. */
  probe: string;
  cores: number;
  /** ISO 8601. */
  measuredAt: string;
}
