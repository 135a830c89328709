// Which eigensolver decomposes the PCA's moment, and the fallback when the GPU cannot:
//   'float64'  the CPU solver (core/linalg/eigh.ts) — the CPU EP and the host engine;
//   'wgsl'     WGSL compute shaders through Dawn (core/linalg/wgsl-eigh.ts), float32 on the device — the
//              default for the device engine on a GPU EP (timed on an H100: docs/DECISIONS.md);
//   { gpu }    the ORT-graph GPU path (core/linalg/gpu-eigh.ts), slower than the CPU, kept for comparison.
// SLICE_STUDIO_EIGH=cpu|gpu|ort overrides (gpu = 'wgsl', on any EP; ort only on a GPU EP). Without the
// `webgpu` package (an optional dependency) or an adapter, or when the GPU runs out of memory, 'wgsl' falls
// back to float64 with one line.
import { EighError, eigh, type EighResult } from '../linalg/eigh';
import { eighGpu } from '../linalg/gpu-eigh';
import { WgslOutOfMemoryError } from '../linalg/wgsl-context';
import { closeWgslDevice, wgslDevice } from '../linalg/wgsl-device';
import { eighWgsl, eighWgslScaled, type EighResultMixed } from '../linalg/wgsl-eigh';
import type { ExecutionProvider } from '../runtime/contract';
import { stopUploadPool } from './upload-pool';

export type PcaSolver = 'float64' | 'wgsl' | { gpu: ExecutionProvider };

const CHOICES = ['cpu', 'gpu', 'ort'];

export function pcaSolverFor(engine: 'host' | 'device', ep: ExecutionProvider, env: Record<string, string | undefined> = process.env): PcaSolver {
  const choice = env.SLICE_STUDIO_EIGH;
  if (choice !== undefined && choice !== '' && !CHOICES.includes(choice)) throw new EighError(`SLICE_STUDIO_EIGH must be one of ${CHOICES.join(', ')} (got "${choice}")`);
  if (choice === 'cpu') return 'float64';
  if (choice === 'gpu') return 'wgsl';
  if (choice === 'ort' && engine === 'device' && ep !== 'cpu') return { gpu: ep };
  return engine === 'device' && ep !== 'cpu' ? 'wgsl' : 'float64';
}

/** The eigensolver the planner should time for a slice on `ep` (sliceModel's default engine: host on the CPU EP,
 *  device elsewhere): 'wgsl' or 'float64' (the ORT-graph choice is timed as float64, the slower of the two). */
export function plannedPcaSolver(ep: ExecutionProvider | string, env: Record<string, string | undefined> = process.env): 'wgsl' | 'float64' {
  return pcaSolverFor(ep === 'cpu' ? 'host' : 'device', ep as ExecutionProvider, env) === 'wgsl' ? 'wgsl' : 'float64';
}

/** Lets the WGSL solver's device go at the end of a job (a live Dawn device keeps Node from exiting), and the upload's workers (upload-pool.ts). */
export async function releasePcaSolver(): Promise<void> {
  await stopUploadPool();
  await closeWgslDevice();
}

export interface DecomposeOptions {
  signal?: AbortSignal;
  /** Where the fallback line goes (once per process and reason); default stderr. */
  log?: (line: string) => void;
  /** The solver's seconds per phase (tridiagonalize, tridiagonalSolve, backTransform, …), added here. */
  timings?: Record<string, number>;
  /**
   * Keep the WGSL solver's eigenvectors float32, as they came down (for the device engine, which converts Q to
   * float32 anyway: q-matrix.ts); the CPU solvers and the fallback still give float64.
   */
  float32Vectors?: boolean;
}

/**
 * The damped moment already scaled into the WGSL solver's float32 upload (damped-upload.ts): the solver takes `s`
 * as is; `float64()` makes the float64 matrix for the CPU solver (another solver, no device, out of GPU memory).
 */
export interface ScaledInput {
  s: Float32Array;
  exponent: number;
  float64: () => Float64Array;
}

const said = new Set<string>();

function sayOnce(log: (line: string) => void, line: string): void {
  if (said.has(line)) return;
  said.add(line);
  log(line);
}

/** Eigenpairs (descending) of the symmetric n×n `h` by `solver` (float32 vectors only from the WGSL solver with o.float32Vectors). */
export async function decompose(h: Float64Array | ScaledInput, n: number, solver: PcaSolver, o?: DecomposeOptions & { float32Vectors?: false }): Promise<EighResult>;
export async function decompose(h: Float64Array | ScaledInput, n: number, solver: PcaSolver, o: DecomposeOptions): Promise<EighResultMixed>;
export async function decompose(h: Float64Array | ScaledInput, n: number, solver: PcaSolver, o: DecomposeOptions = {}): Promise<EighResultMixed> {
  const { signal, timings } = o;
  const float64 = () => (h instanceof Float64Array ? h : h.float64());
  if (solver === 'float64') return eigh(float64(), n, { signal, timings });
  if (solver !== 'wgsl') return eighGpu(float64(), n, solver.gpu, { signal, timings });
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dev = await wgslDevice();
  if ('unavailable' in dev) {
    sayOnce(log, `GPU eigensolver unavailable (${dev.unavailable}): the PCA uses the float64 CPU solver`);
    return eigh(float64(), n, { signal, timings });
  }
  try {
    const wo = { signal, timings, float32Vectors: o.float32Vectors === true };
    return await (h instanceof Float64Array ? eighWgsl(h, n, dev.device, wo) : eighWgslScaled(h.s, h.exponent, n, dev.device, wo));
  } catch (e) {
    if (!(e instanceof WgslOutOfMemoryError)) throw e;
    sayOnce(log, `${e.message}: the PCA of width ${n} uses the float64 CPU solver`);
    return eigh(float64(), n, { signal, timings });
  }
}
