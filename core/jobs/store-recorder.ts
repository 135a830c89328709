// Records a job's run in the Store: created as queued with its params as settings (owned by this process),
// running when it leaves the queue, phase timings
// derived from the progress stream (a phase ends when the next one starts), then done with the result,
// failed with its one-line message, or cancelled.
import type { Store } from '../store/store';
import type { RunRecorder } from './runner';

export function storeRecorder(store: Store): RunRecorder {
  const phases = new Map<number, { phase: string; since: number }>();
  const closePhase = (runId: number, at: number) => {
    const current = phases.get(runId);
    if (current) store.addPhase(runId, current.phase, (at - current.since) / 1000);
  };
  return {
    started({ kind, runKind, name, params, modelPath }) {
      const settings = { job: kind, ...(params as Record<string, unknown>), ...(modelPath ? { modelPath } : {}) };
      return store.createRun({ kind: runKind, name, settings, status: 'queued' }).id;
    },
    launched(runId) {
      store.startRun(runId);
    },
    progressed(runId, e) {
      const current = phases.get(runId);
      if (current?.phase === e.phase) return;
      closePhase(runId, e.at);
      phases.set(runId, { phase: e.phase, since: e.at });
    },
    discarded(runId) {
      phases.delete(runId);
      store.deleteRun(runId);
    },
    ended(runId, e) {
      closePhase(runId, e.at);
      phases.delete(runId);
      if (e.type === 'done') store.finishRun(runId, e.result);
      else if (e.type === 'failed') store.failRun(runId, e.message);
      else store.failRun(runId, e.forced ? 'cancelled (stopped after the grace period)' : 'cancelled', 'cancelled');
    },
  };
}
