// How a job's run is tied into the store's history, beyond what the runner records (status, settings,
// phase timings):
// - at start: the model row (so runs group by model), the parent run, a fingerprint of "the same work"
//   and the execution provider. Parents: an evaluation of a sliced folder hangs under the slice run that
//   wrote the folder (and shares its dense model's row); a slice run hangs under the newest finished
//   perplexity/evaluation run of its dense model (its baseline), when there is one;
// - at the end: the metrics, per-layer statistics, artifacts and peak memory the job kind derives from
//   its result (JobDefinition.records).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { datasetAndSplit } from '../runtime/ppl-protocol';
import { baselineOf, ownNumbers } from '../eval/dense-baseline';
import { inspectModel } from '../model/inspect';
import { isSlicedModelFolder } from '../slicegpt/sliced-source';
import type { JobDefinition } from '../jobs/registry';
import type { Store } from '../store/store';
import { runFingerprint } from '../store/fingerprint';
import type { RunRow } from '../store/types';
import type { ComparedRun } from './contract';

export interface RunLinks {
  modelId: number | null;
  parentRunId: number | null;
  fingerprint: string | null;
}

/** Settings that do not change the result (where it goes, whether it continues) stay out of the fingerprint. */
const NOT_THE_WORK = new Set(['out', 'resume', 'items', 'baseline']);

const modelOf = (r: RunRow): string | undefined => (typeof r.settings.model === 'string' ? r.settings.model : undefined);

/** The slice run that wrote `folder`, newest first (a folder may be re-sliced into). */
export function sliceRunFor(store: Store, folder: string): RunRow | null {
  const target = resolve(folder);
  return store.listRuns({ kind: 'slice', limit: 10_000 }).find((r) => typeof r.settings.out === 'string' && resolve(r.settings.out) === target) ?? null;
}

/** The newest finished perplexity or evaluation run of a model folder: a slice's baseline. */
export function baselineRunFor(store: Store, folder: string): RunRow | null {
  const target = resolve(folder);
  return store.listRuns({ status: 'done', limit: 10_000 }).find((r) => (r.kind === 'ppl' || r.kind === 'eval') && modelOf(r) === target) ?? null;
}

export async function linksFor(store: Store, def: JobDefinition, params: unknown): Promise<RunLinks> {
  const path = def.modelPath?.(params);
  if (!path) return { modelId: null, parentRunId: null, fingerprint: null };
  let modelId: number | null = null;
  let parentRunId: number | null = null;
  let paramCount: number | null = null;
  const slice = isSlicedModelFolder(path) ? sliceRunFor(store, path) : null;
  if (slice) {
    modelId = slice.modelId;
    parentRunId = slice.id;
  } else {
    // The job reports a bad folder itself with its own message; a failed inspection only leaves the run unlinked.
    try {
      const inspection = await inspectModel(path);
      modelId = store.recordInspection(inspection).model.id;
      paramCount = inspection.parameterCount;
    } catch {
      modelId = null;
    }
    if (def.runKind === 'slice') parentRunId = baselineRunFor(store, path)?.id ?? null;
  }
  const settings = Object.fromEntries(Object.entries(params as Record<string, unknown>).filter(([k]) => !NOT_THE_WORK.has(k)));
  const fingerprint = runFingerprint({ model: { path, paramCount }, settings: { job: def.kind, ...settings } });
  return { modelId, parentRunId, fingerprint };
}

/** Stores what the job kind derives from its result; returns an error message instead of throwing. */
export function recordResult(store: Store, def: JobDefinition, runId: number, result: unknown): string | null {
  if (!def.records) return null;
  try {
    const r = def.records(result);
    store.transaction(() => {
      if (r.metrics?.length) store.addMetrics(runId, r.metrics);
      for (const l of r.layers ?? []) store.addLayerStat(runId, l);
      for (const a of r.artifacts ?? []) store.addArtifact(runId, a);
      if (r.peakRss !== undefined || r.ep !== undefined) store.updateRun(runId, { peakRss: r.peakRss, ep: r.ep });
      if (r.baselineRun) {
        const b = r.baselineRun;
        const run = store.getRun(runId);
        const id = store.createRun({ kind: b.kind, modelId: run?.modelId ?? null, name: b.name, settings: { ...b.settings, baselineOf: runId }, status: 'done', ep: r.ep ?? null }).id;
        store.updateRun(id, { startedAt: run?.startedAt ?? null, finishedAt: run?.finishedAt ?? new Date().toISOString() });
        store.addMetrics(id, b.metrics);
      }
    });
    return null;
  } catch (e) {
    return `could not record the results of run ${runId}: ${(e as Error).message}`;
  }
}

export function compare(store: Store, ids: number[], notFound: (id: number) => Error): ComparedRun[] {
  // Every slice and evaluation: where a slice's own numbers and every dense baseline come from.
  const all = store
    .listRuns({ limit: 100_000 })
    .filter((r) => r.kind === 'slice' || r.kind === 'ppl' || r.kind === 'eval')
    .map((r) => store.getRun(r.id)!)
    .filter(Boolean);
  return ids.map((id) => {
    const run = store.getRun(id);
    if (!run) throw notFound(id);
    const p = run.parentRunId ? store.getRun(run.parentRunId) : null;
    return {
      ...run,
      parent: p ? { id: p.id, name: p.name, kind: p.kind, status: p.status, metrics: p.metrics } : null,
      own: ownNumbers(run, all),
      baseline: baselineOf(run, all),
    };
  });
}

/**
 * The dense folder an evaluation of a sliced folder should also measure, or null: none when the store
 * already has the dense model measured the same way (same perplexity protocol; same tasks and limit), so
 * the dense model is evaluated once per model and protocol. The dense folder is the slice's source
 * (slice_studio.json, else the slice run that wrote the folder).
 */
export function denseBaselineNeeded(store: Store, kind: string, params: Record<string, unknown>): string | null {
  if ((kind !== 'ppl' && kind !== 'eval') || typeof params.model !== 'string' || params.baseline !== undefined) return null;
  if (!isSlicedModelFolder(params.model)) return null;
  let dense: string | null = null;
  try {
    const s = JSON.parse(readFileSync(join(params.model, 'slice_studio.json'), 'utf8')) as { source?: unknown };
    if (typeof s.source === 'string') dense = s.source;
  } catch {
    dense = null;
  }
  dense ??= (sliceRunFor(store, params.model)?.settings.model as string | undefined) ?? null;
  if (!dense || !existsSync(join(dense, 'config.json'))) return null;
  const runs = store.listRuns({ status: 'done', limit: 10_000 }).filter((r) => (r.kind === 'ppl' || r.kind === 'eval') && modelOf(r) === resolve(dense));
  const details = runs.map((r) => store.getRun(r.id)!).filter(Boolean);
  const wantsPpl = kind === 'ppl' || params.ppl === true;
  if (wantsPpl) {
    const dataset = kind === 'ppl' ? String(params.dataset ?? 'wikitext2') : 'wikitext2';
    const seqlen = Number(kind === 'ppl' ? params.seqlen : params.pplSeqlen);
    const max = kind === 'ppl' ? params.maxWindows : params.pplMaxWindows;
    const all = kind === 'ppl' ? params.allWindows === true : params.pplAllWindows === true;
    const want = datasetAndSplit(dataset);
    const has = details.some((r) =>
      r.metrics.some(
        (m) =>
          m.name === 'ppl' &&
          m.task === null &&
          m.protocol !== null &&
          m.protocol.dataset === want.dataset &&
          m.protocol.split === want.split &&
          m.protocol.seqlen === seqlen &&
          (all ? m.protocol.of !== null && m.protocol.windows === m.protocol.of : m.protocol.windows === max),
      ),
    );
    if (!has) return dense;
  }
  if (kind === 'eval') {
    for (const task of (params.tasks as string[] | undefined) ?? []) {
      const has = details.some((r) => r.kind === 'eval' && r.settings.limit === params.limit && r.metrics.some((m) => m.task === task));
      if (!has) return dense;
    }
  }
  return null;
}
