// The wizard survives a reload: its step, model, settings and the runs of its slice and evaluation are
// kept in localStorage and restored only where they still hold (the model still opens, the runs still
// exist, the step is still reachable); anything else starts over at the earliest step that is.
import { runResultOf, type JobKind, type RunDetail } from '../../../../core/api/contract';
import { api } from '../../lib/api';
import { lossFromRun } from '../../lib/loss-curve';
import type { JobView } from './job-view.svelte';
import { STEPS, wizard, type StepId } from './wizard.svelte';

const KEY = 'slice-studio.wizard.v1';

/** The settings kept as they are (numbers, strings, booleans and the task list). */
const SETTINGS = [
  'planFor',
  'gpuSizes',
  'format',
  'ctx',
  'batch',
  'ratio',
  'cal',
  'calPath',
  'nsamples',
  'seqlen',
  'sampling',
  'seed',
  'rotation',
  'round32',
  'round256',
  'evalTarget',
  'tasks',
  'evalTasksRun',
  'evalPplRun',
  'limit',
  'ppl',
  'pplMaxWindows',
  'recoverData',
  'recoverPath',
  'recoverRank',
  'recoverAlpha',
  'recoverSteps',
  'recoverSeqlen',
  'recoverLr',
  'recoverDropout',
] as const;
type Setting = (typeof SETTINGS)[number];

interface Saved {
  step: StepId;
  modelPath: string | null;
  planAccepted: boolean;
  sliceRunId: number | null;
  evalRunId: number | null;
  recoverRunId?: number | null;
  settings: Partial<Record<Setting, unknown>>;
}

function snapshot(): Saved {
  const settings: Partial<Record<Setting, unknown>> = {};
  for (const k of SETTINGS) settings[k] = $state.snapshot(wizard[k]);
  return {
    step: wizard.step,
    modelPath: wizard.inspection?.path ?? null,
    planAccepted: wizard.planAccepted,
    sliceRunId: wizard.slice.runId,
    evalRunId: wizard.evaluation.runId,
    recoverRunId: wizard.recover.runId,
    settings,
  };
}

function read(): Saved | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Saved | null;
    return s && typeof s === 'object' && typeof s.step === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** A saved value replaces the default only if it has the default's type (an old or edited entry cannot break the wizard). */
function applySettings(saved: Saved['settings']): void {
  const w = wizard as unknown as Record<Setting, unknown>;
  for (const k of SETTINGS) {
    const v = saved[k];
    const now = w[k];
    if (v === undefined || v === null) continue;
    if (Array.isArray(now) ? Array.isArray(v) && v.every((x) => typeof x === 'string') : typeof v === typeof now) w[k] = v;
  }
}

/** Show a recorded run in a job view as it ended (or follow it, when it is still running). */
async function restoreJob<K extends JobKind>(view: JobView<K>, run: RunDetail): Promise<void> {
  view.reset();
  view.runId = run.id;
  if (run.status === 'running' || run.status === 'queued') {
    const live = (await api.listJobs()).find((j) => j.runId === run.id);
    if (live) {
      view.attach({ jobId: live.jobId, runId: run.id });
      if (live.progress) view.apply(live.progress);
      return;
    }
    view.status = 'failed';
    view.error = 'interrupted (the app stopped while it ran)';
    return;
  }
  // A run whose process died is shown as the failure it is (the job view has no "interrupted" state).
  if (run.status === 'interrupted') {
    view.status = 'failed';
    view.error = 'interrupted (the app stopped while it ran)';
    return;
  }
  view.status = run.status;
  view.result = runResultOf(run, view.kind);
  view.error = run.status === 'failed' ? run.error : null;
  if (run.status === 'done') view.fraction = 1;
  // A slice's explained-variance chart, from the per-signal rows it recorded (the embeddings are layer −1).
  view.variance = run.layers.filter((l) => l.keptVariance !== null && ['embedding', 'attention', 'mlp', 'block'].includes(l.phase)).map((l) => ({ layer: l.layer < 0 ? null : l.layer, signal: l.phase, value: l.keptVariance! }));
  // A recovery's loss curve, from the row per step it recorded.
  view.data = lossFromRun(run.layers).map((p) => ({ ...p }));
  const layers = runResultOf(run, 'slice')?.layers;
  if (typeof layers === 'number') view.layers = layers;
  if (run.startedAt && run.finishedAt) view.seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
}

async function restore(): Promise<void> {
  const saved = read();
  if (!saved?.modelPath) return;
  try {
    wizard.openModel(await api.inspectModel(saved.modelPath));
  } catch {
    return; // the model is gone or unreadable: start over at step 1
  }
  applySettings(saved.settings ?? {});
  wizard.planAccepted = saved.planAccepted === true && wizard.inspection?.kind === 'folder' && wizard.ratio >= 0;
  for (const [view, id, kind] of [
    [wizard.slice, saved.sliceRunId, 'slice'],
    [wizard.evaluation, saved.evalRunId, 'eval'],
    [wizard.recover, saved.recoverRunId, 'recover'],
  ] as const) {
    if (typeof id !== 'number') continue;
    const run = await api.getRun(id).catch(() => null);
    // A recovery is recorded as a slice run (it writes a sliced folder); its settings name its job.
    const job = kind === 'recover' ? run?.settings['job'] : run?.kind;
    if (run && job === kind) await restoreJob(view, run);
  }
  // The saved step if it can still be opened, else the last one before it that can.
  const order = STEPS.map((s) => s.id);
  const at = order.indexOf(saved.step);
  for (let i = at; i >= 0; i--) {
    if (wizard.reachable(order[i])) {
      wizard.step = order[i];
      break;
    }
  }
}

let ready = false;

/** Settles when the saved wizard has been restored (or there was none): the model panel waits for it before opening the demo model. */
export const wizardRestored: Promise<void> = (typeof localStorage === 'undefined' ? Promise.resolve() : restore().catch(() => {})).finally(() => {
  ready = true;
});

$effect.root(() => {
  $effect(() => {
    const s = snapshot(); // read first, so the effect follows every field even before it may write
    if (!ready) return;
    try {
      localStorage.setItem(KEY, JSON.stringify(s));
    } catch {
      // storage full or disabled: the wizard still works, it just starts over on reload
    }
  });
});
