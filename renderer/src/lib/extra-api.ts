// Typed access to the API methods the wizard and the comparison need (planModel, compareRuns,
// resumeJob). They are called through the same client as every other method; until a core build
// provides them, calling one gives a clear one-line error instead of "x is not a function".
import type { ResumeOverrides, Resumability, RunDetail } from '../../../core/api/contract';
import type { Estimate, PlanHardware, PlanResult, SlicePrediction } from '../../../core/plan/index';
import type { CombinationPlan } from '../../../core/plan/combination';
import { api } from './api';

export type { Estimate, PlanHardware, PlanResult, SlicePrediction } from '../../../core/plan/index';
export type { Resumability } from '../../../core/api/contract';

export interface PlanRequest {
  gpus?: 'auto' | number[];
  format?: string;
  ctx?: number;
  batch?: number;
  ratio?: number;
  round?: number;
  sliceHead?: boolean;
  nsamples?: number;
  seqlen?: number;
}

export interface PlanReply {
  plan: PlanResult;
  estimate: Estimate | null;
  hardware: PlanHardware;
  /** With the slice job's refusal for these budgets (null when it fits) and the activations budget it assumed. */
  slicing: SlicePrediction & { refusal?: string | null; deviceBudgetBytes?: number | null };
  /** (ratio, GGUF type) with the best expected quality that fits (core/plan/combination.ts); absent from older cores. */
  combination?: CombinationPlan;
}

interface ExtraApi {
  planModel(path: string, options?: PlanRequest): Promise<PlanReply>;
  compareRuns(ids: number[]): Promise<RunDetail[]>;
  resumeJob(runId: number, overrides?: ResumeOverrides): Promise<{ jobId: string; runId: number }>;
  resumability(runId: number): Promise<Resumability>;
}

export class MissingMethodError extends Error {
  override name = 'MissingMethodError';
}

function method<K extends keyof ExtraApi>(name: K): ExtraApi[K] {
  return ((...args: unknown[]) => {
    const fn = (api as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') {
      return Promise.reject(new MissingMethodError(`this Slice Studio core has no "${name}" method yet: update the app`));
    }
    return (fn as (...a: unknown[]) => Promise<unknown>).apply(api, args);
  }) as ExtraApi[K];
}

export const planModel = method('planModel');
export const resumeJob = method('resumeJob');
export const resumability = method('resumability');

/** Run id → whether Resume is worth offering (a checkpoint exists and the run did not fail on its input). */
export async function resumableRuns(ids: number[]): Promise<Map<number, Resumability>> {
  const answers = await Promise.all(ids.map((id) => resumability(id).catch((): Resumability => ({ resumable: false, reason: '', nextLayer: null }))));
  return new Map(ids.map((id, i) => [id, answers[i]]));
}
const compareRuns = method('compareRuns');

/** Details of several runs in one call. */
export async function runDetails(ids: number[]): Promise<RunDetail[]> {
  return ids.length === 0 ? [] : compareRuns(ids);
}
