// Every job kind the app can run: THE table of jobs, as API_METHODS is the table of methods. Each entry's
// validator checks what a caller sends (JobInput) and fills in the params the job runs with (JobParams);
// its run returns JobResult. The contract (startJob), the renderer's job views and the CLI take their types
// from here; importing this module also registers every kind, for the calling thread (to validate params)
// and the worker (to run the function).
import type { JobDefinition } from '../registry';
import { fingerprintJob } from './fingerprint';
import { pplJob } from './ppl';
import { generateJob } from './generate';
import { sliceJob } from './slice';
import { evalJob } from './eval';
import { benchJob } from './bench';
import { exportJob, verifyExportJob } from './export';
import { synthJob } from './synth';
import { recoverJob } from './recover';

export const JOBS = {
  fingerprint: fingerprintJob,
  ppl: pplJob,
  generate: generateJob,
  slice: sliceJob,
  eval: evalJob,
  bench: benchJob,
  export: exportJob,
  'verify-export': verifyExportJob,
  synth: synthJob,
  recover: recoverJob,
} as const;

export type JobKind = keyof typeof JOBS;
type Parts<K extends JobKind> = (typeof JOBS)[K] extends JobDefinition<infer P, infer R, infer I> ? { params: P; result: R; input: I } : never;
/** What a caller may send for a job of kind K (defaults may be left out). */
export type JobInput<K extends JobKind> = Parts<K>['input'];
/** The params a job of kind K runs with, and its run records as settings (defaults filled in). */
export type JobParams<K extends JobKind> = Parts<K>['params'];
/** What a job of kind K returns: the `done` event's result, and the run's stored result. */
export type JobResult<K extends JobKind> = Parts<K>['result'];
