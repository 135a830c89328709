// The job worker: one per job. Runs the registered function with a JobContext whose progress and log go
// back to the runner as messages, and whose signal aborts when the runner posts 'cancel'.
// Under tsx (dev, tests) it is loaded as TypeScript because workers inherit the parent's `--import tsx`;
// in a build it is bundled to dist/job-worker.mjs.
import { parentPort, workerData } from 'node:worker_threads';
import { CancelledError, type JobContext } from './context';
import { getJob } from './registry';
import { userMessage, type FromWorker, type ToWorker, type WorkerInput } from './protocol';
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

try {
  for (const m of input.modules) await import(m);
  const def = getJob(input.kind);
  // Params were validated in the calling thread; validating again here normalizes them the same way.
  const params = def.params.check(input.params, `${input.kind} params`);
  const result = await def.run(ctx, params);
  try {
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'failed', ...userMessage(new Error(`job result cannot be sent: ${(e as Error).message}`)) });
  }
} catch (e) {
  if (e instanceof CancelledError || (controller.signal.aborted && (e as Error)?.name === 'AbortError')) {
    post({ type: 'cancelled' });
  } else {
    post({ type: 'failed', ...userMessage(e), stack: e instanceof Error ? e.stack : undefined });
  }
} finally {
  port.close();
}
