// Pieces every engine job kind shares: parameter validators that normalize (absolute model paths, defaults
// filled in the calling thread so the worker and the recorded settings see the same values), the model
// summary a comparison table needs (hidden width kept, stored parameters), and the process's peak memory.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { literal, PayloadError, type Validator } from '../../base/validate';
import type { ExecutionProvider } from '../../runtime/contract';
import { listModelTensors, SafetensorsError } from '../../model/safetensors';
import { SLICING_CONFIG, SlicedModelFormatError } from '../../slicegpt/sliced-source';
import { parseConfig } from '../../model/config';
import { ModelFolderError } from '../../model/source';
import { notAModel } from '../../model/not-a-model';
import { LIMITS, readJsonObject } from '../../model/input-file';
import { parseSlicingConfig } from '../../slicegpt/slicing-config';

export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const satisfies readonly ExecutionProvider[];
export const executionProvider: Validator<ExecutionProvider> = literal(...EXECUTION_PROVIDERS);

/**
 * A model folder (dense or sliced), made absolute so the run records where it really was. A missing folder
 * is refused here, in the calling thread, so no run is recorded for a typo.
 */
export const modelFolder: Validator<string> = {
  describe: 'a model folder path',
  check(value, where) {
    if (typeof value !== 'string' || value.trim() === '') throw new PayloadError(`${where} must be a model folder path`);
    const folder = resolve(value);
    if (!existsSync(join(folder, 'config.json'))) throw new PayloadError(notAModel(folder));
    return folder;
  },
};

/** Check a number lies in a range; the message names the parameter the way the CLI flag does. */
export function inRange(where: string, value: number | undefined, min: number, max: number, integer = true): void {
  if (value === undefined) return;
  const ok = Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) throw new PayloadError(`${where} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${value})`);
}

/** The process's peak resident set so far (bytes). Jobs run in a worker thread, so this is the whole process. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Peak resident set while one job runs, sampled. The OS's maxRSS is a lifetime maximum, so in a process
 * that ran a bigger job before (the app, the demo) it would credit this job with that job's peak; sampling
 * from the job's start sees only what was resident meanwhile (still the whole process: jobs are threads).
 */
export class RssPeak {
  #peak = process.memoryUsage.rss();
  #timer: NodeJS.Timeout;

  constructor(everyMs = 50) {
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.#timer.unref();
  }

  sample(): void {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }

  /** Stops sampling; the peak in bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.sample();
    return this.#peak;
  }
}

/** Runs `fn` and adds the peak resident set seen meanwhile to its result as `peakRssBytes`. */
export async function measuringRss<R extends object>(fn: () => Promise<R>): Promise<R & { peakRssBytes: number }> {
  const rss = new RssPeak();
  try {
    const r = await fn();
    return { ...r, peakRssBytes: rss.stop() };
  } finally {
    rss.stop();
  }
}

export interface ModelSummary {
  folder: string;
  sliced: boolean;
  /** The model's hidden size D (config.json). */
  hiddenSize: number;
  /** The kept width d (D for a dense model). */
  d: number;
  /** Parameters stored in the safetensors files (a sliced model's shortcut matrices included). */
  params: number;
}

/** What a comparison needs to know of a model folder, from its headers only (no weights are read). */
export async function summarizeModel(folder: string): Promise<ModelSummary> {
  const config = parseConfig(await readJsonObject(join(folder, 'config.json'), LIMITS.config, ModelFolderError));
  const hiddenSize = config.hiddenSize;
  const slicing = join(folder, SLICING_CONFIG);
  let d = hiddenSize;
  const sliced = existsSync(slicing);
  if (sliced) {
    const s = parseSlicingConfig(await readJsonObject(slicing, LIMITS.slicingConfig, SlicedModelFormatError));
    d = s.const_dimension ?? s.embedding_dimensions?.['0'] ?? hiddenSize;
  }
  let tensors;
  try {
    tensors = await listModelTensors(folder);
  } catch (e) {
    throw e instanceof SafetensorsError ? new ModelFolderError(e.message) : e;
  }
  const params = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return { folder, sliced, hiddenSize, d, params };
}
