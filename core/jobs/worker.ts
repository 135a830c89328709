// The job worker: one per job. Runs the registered function with a JobContext whose progress and log go
// back to the runner as messages, and whose signal aborts when the runner posts 'cancel'.
// Under tsx (dev, tests) it is loaded as TypeScript because workers inherit the parent's `--import tsx`;
// in a build it is bundled to dist/job-worker.mjs.
import { parentPort, workerData } from 'node:worker_threads';
import { CancelledError, type JobContext } from '../base/job-context';
import { getJob } from './registry';
import { userMessage } from '../base/user-error';
import type { FromWorker, ToWorker, WorkerInput } from './protocol';
import { explainNonFinite, NonFiniteError } from '../model/non-finite';
import './kinds/index';

const port = parentPort;
if (!port) throw new Error('core/jobs/worker must run in a worker thread');
const input = workerData as WorkerInput;
const post = (m: FromWorker) => port.postMessage(m);

const controller = new AbortController();
port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') controller.abort();
});

const ctx: JobContext = {
  signal: controller.signal,
  progress: (update) => post({ type: 'progress', update }),
  log: (message) => post({ type: 'log', message }),
};

function modelOf(i: WorkerInput): string | undefined {
  try {
    return getJob(i.kind).modelPath?.(i.params) ?? undefined;
  } catch {
    return undefined;
  }
}

try {
  for (const m of input.modules) await import(m);
  const def = getJob(input.kind);
  // Params were validated (and their defaults filled in) once, in the calling thread.
  const result = await def.run(ctx, input.params);
  try {
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'failed', ...userMessage(new Error(`job result cannot be sent: ${(e as Error).message}`)) });
  }
} catch (e) {
  if (e instanceof CancelledError || (controller.signal.aborted && (e as Error)?.name === 'AbortError')) {
    post({ type: 'cancelled' });
  } else {
    // NaN/Inf: say which tensor of the job's model folder holds it (read only on this failure path).
    const err = e instanceof NonFiniteError ? await explainNonFinite(e, modelOf(input)) : e;
    post({ type: 'failed', ...userMessage(err), stack: err instanceof Error ? err.stack : undefined });
  }
} finally {
  port.close();
}
