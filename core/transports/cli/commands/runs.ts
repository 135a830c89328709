import type { ComparedRun, RunDetail, RunStatus, RunSummary } from '../../../api/contract';
import type { Resumability } from '../../../api/resumability';
import type { SliceStudioService } from '../../../api/service';
import { formatComparison } from '../../../demo/comparison';
import { choiceValue, intFlag, stringFlag, UsageError } from '../args';
import type { CliContext, Command } from '../command';
import { numberFlag } from './shared/flags';
import { bytes, fmt, pct, table as grid } from './shared/format';
import { followJob, jobJson } from './shared/follow-job';
import { protocolLabel } from '../../../runtime/ppl-protocol';
import { RUN_KINDS } from '../../../store/types';

const STATUSES: RunStatus[] = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'];

function took(r: RunSummary): string {
  if (!r.startedAt || !r.finishedAt) return '';
  return `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`;
}

function table(runs: RunSummary[]): string {
  if (runs.length === 0) return 'No runs yet.';
  const rows = runs.map((r) => [String(r.id), r.status, r.kind, (r.startedAt ?? r.createdAt).replace('T', ' ').slice(0, 19), took(r), r.name + (r.error ? ` — ${r.error}` : '')]);
  const head = ['id', 'status', 'kind', 'started', 'took', 'name'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  return value === undefined ? undefined : choiceValue(flag, value, allowed);
}

function runId(word: string | undefined, what: string): number {
  const n = Number(word);
  if (!word || !Number.isInteger(n) || n < 1) throw new UsageError(`${what} needs run ids (positive integers)${word ? `, got "${word}"` : ''}`);
  return n;
}

/** What the Runs room says about resuming a stopped slice or recovery: the run it continues, the run that
 *  continued it, or whether Resume is offered and why (core/api/resumability.ts, the room's button and title). */
export interface ResumeFacts {
  resumability: Resumability | null;
  resumedAs: number | null;
}

export function resumeLines(r: Pick<RunDetail, 'id' | 'kind' | 'status' | 'settings'>, f: ResumeFacts): string[] {
  const out: string[] = [];
  if (typeof r.settings.resumeOf === 'number') out.push(`  continues run ${r.settings.resumeOf}`);
  if (r.kind !== 'slice' || !(r.status === 'interrupted' || r.status === 'cancelled' || r.status === 'failed')) return out;
  if (f.resumedAs !== null) out.push(`  resumed as run ${f.resumedAs}`);
  else if (f.resumability?.resumable) {
    const lower = f.resumability.lowerVram?.suggested;
    out.push(`  continue it from its checkpoint: slice-studio runs resume ${r.id}${lower != null ? ` --vram-gb ${lower}` : ''} (${f.resumability.reason})`);
  } else if (f.resumability) out.push(`  not resumable: ${f.resumability.reason}`);
  return out;
}

/** One run in full: what it was, its numbers, where its time went, what it wrote. */
export function formatRun(r: RunDetail, resume: ResumeFacts = { resumability: null, resumedAs: null }): string {
  const out = [`run ${r.id}: ${r.name}`, `  ${r.kind}, ${r.status}${r.error ? ` — ${r.error}` : ''}${took(r) ? `, ${took(r)}` : ''}${r.ep ? ` on ${r.ep}` : ''}${r.peakRss ? `, peak memory ${bytes(r.peakRss)}` : ''}`];
  if (r.parentRunId) out.push(`  parent run ${r.parentRunId}`);
  out.push(...resumeLines(r, resume));
  const settings = Object.entries(r.settings).filter(([k]) => k !== 'job' && k !== 'modelPath' && k !== 'resumeOf');
  if (settings.length) out.push('', 'settings:', ...settings.map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`));
  if (r.metrics.length) {
    const isShare = (n: string) => n === 'acc' || n === 'acc_norm' || n === 'average' || n === 'kept_variance_mean';
    out.push(
      '',
      grid(
        ['metric', 'task', 'value', '± stderr', 'measured on'],
        r.metrics.map((m) => [m.name, m.task ?? '', isShare(m.name) ? pct(m.value) : fmt(m.value), m.stderr === null ? '' : isShare(m.name) ? pct(m.stderr) : fmt(m.stderr), m.protocol ? protocolLabel(m.protocol) : '']),
      ),
    );
  }
  if (r.phases.length) out.push('', phaseSummary(r.phases));
  const signals = r.layers.filter((l) => l.keptVariance !== null);
  if (signals.length) {
    const secs = (layer: number, phase: string) => r.layers.find((l) => l.layer === layer && l.phase === phase)?.seconds;
    out.push(
      '',
      grid(
        ['layer', 'signal', 'kept', 'kept variance', 'pca s'],
        signals.map((l) => {
          const dims = l.dims as { kept?: number; width?: number } | null;
          return [l.layer < 0 ? 'emb' : String(l.layer), l.phase, dims?.kept !== undefined ? `${dims.kept}/${dims.width}` : '', pct(l.keptVariance, 2), fmt(secs(l.layer, 'pca') ?? null, 2)];
        }),
      ),
    );
  }
  for (const a of r.artifacts) out.push('', `artifact (${a.kind}, ${a.format}${a.bytes ? `, ${bytes(a.bytes)}` : ''}): ${a.path}${a.sha256 ? `\n  sha256 ${a.sha256}` : ''}`);
  return out.join('\n');
}

/** Time per phase, summed: a slice records one row per phase and block (28 for 4 layers) without the layer, so
 *  the rows are grouped by phase, in the order they first ran; per-layer PCA time is in the layer table. */
export function phaseSummary(phases: RunDetail['phases']): string {
  const sums = new Map<string, { seconds: number; times: number }>();
  for (const p of phases) {
    const s = sums.get(p.phase) ?? { seconds: 0, times: 0 };
    s.seconds += p.seconds;
    s.times += 1;
    sums.set(p.phase, s);
  }
  const total = phases.reduce((t, p) => t + p.seconds, 0);
  const rows = [...sums].map(([phase, s]) => [phase, s.seconds.toFixed(2), total > 0 ? `${((s.seconds / total) * 100).toFixed(0)}%` : '—', String(s.times)]);
  return grid(['phase', 'seconds', 'share', 'times'], [...rows, ['total', total.toFixed(2), '', '']]);
}

/** A slice's perplexity is measured by later runs (ppl, eval --ppl) whose parent it is: the newest one, with the
 *  windows and length it was measured on and its run id, so slices side by side say how each was measured. */
async function measuredPpl(service: SliceStudioService, runs: ComparedRun[]): Promise<{ label: string; cells: string[] }[]> {
  if (!runs.some((r) => r.kind === 'slice')) return [];
  const cells = await Promise.all(
    runs.map(async (r) => {
      if (r.kind !== 'slice') return '—';
      for (const child of await service.listRuns({ parentRunId: r.id, status: 'done' })) {
        const metrics = (await service.getRun(child.id)).metrics;
        const m = (name: string) => metrics.find((x) => x.name === name && x.task === null)?.value;
        const ppl = m('ppl');
        if (ppl !== undefined) return `${fmt(ppl)} (#${child.id}: ${m('windows') ?? '?'} × ${m('seqlen') ?? '?'})`;
      }
      return 'not measured';
    }),
  );
  return [{ label: 'ppl (newest evaluation)', cells }];
}

async function show(ctx: CliContext): Promise<number> {
  const [, id, extra] = ctx.args.positionals;
  if (extra) throw new UsageError('runs show takes one run id');
  const service = await ctx.service();
  const run = await service.getRun(runId(id, 'runs show'));
  ctx.out(ctx.json ? JSON.stringify(run, null, 2) : formatRun(run, await resumeFacts(service, run)));
  return 0;
}

/** The Runs room's facts about resuming `run`: its resumability and the run that continued it (same parent, resumeOf). */
async function resumeFacts(service: SliceStudioService, run: RunDetail): Promise<ResumeFacts> {
  if (run.kind !== 'slice') return { resumability: null, resumedAs: null };
  const siblings = await service.listRuns({ kind: 'slice', ...(run.parentRunId ? { parentRunId: run.parentRunId } : {}), limit: 10_000 });
  const resumedAs = siblings.filter((x) => x.settings.resumeOf === run.id).sort((a, b) => a.id - b.id)[0]?.id ?? null;
  return { resumability: await service.resumability(run.id), resumedAs };
}

/** Continues a cancelled, failed or interrupted slice or recovery from its checkpoint, as a new run (the UI's
 *  Resume button): says where it continues from (the button's title), follows the slice or recover job, and
 *  ends with what the new run did. A cancelled continuation is resumed by its own id (the Runs room offers
 *  Resume on the newest run of the chain only). */
async function resume(ctx: CliContext): Promise<number> {
  const [, id, extra] = ctx.args.positionals;
  if (extra) throw new UsageError('runs resume takes one run id');
  // After a GPU out-of-memory: continue with a lower activations budget (not in the checkpoint's key).
  const vramGb = numberFlag(ctx, 'vram-gb', 0, 1 << 20);
  const service = await ctx.service();
  const stopped = await service.getRun(runId(id, 'runs resume'));
  const can = await service.resumability(stopped.id);
  if (can.resumable && !ctx.json) ctx.err(can.reason);
  const hint = async (newId: number) => `the checkpoint is kept; continue with: slice-studio runs resume ${newId}`;
  const start = () => service.resumeJob(stopped.id, vramGb === undefined ? undefined : { vramGb });
  if (stopped.settings.job === 'recover') {
    const f = await followJob(ctx, 'recover', start, { cancelHint: hint });
    if (ctx.json) ctx.out(jobJson(f));
    else if (f.code === 0 && f.result) {
      const r = f.result;
      ctx.out(
        `run ${id} continued as run ${f.runId}: ${r.steps} steps (resumed at ${r.resumedFrom}, on the ${r.engine === 'whole' ? 'one-graph' : 'layer-streamed'} step), loss ${r.firstLoss.toFixed(4)} → ${r.finalLoss.toFixed(4)}; merged model in ${r.out}`,
      );
    }
    return f.code;
  }
  const f = await followJob(ctx, 'slice', start, { cancelHint: hint });
  if (ctx.json) ctx.out(jobJson(f));
  else if (f.code === 0) ctx.out(`run ${id} continued as run ${f.runId}: ${f.result?.out ?? 'done'}`);
  return f.code;
}

async function compare(ctx: CliContext): Promise<number> {
  const ids = ctx.args.positionals.slice(1).map((w) => runId(w, 'runs compare'));
  if (ids.length === 0) runId(undefined, 'runs compare');
  const service = await ctx.service();
  const runs: ComparedRun[] = await service.compareRuns(ids);
  ctx.out(ctx.json ? JSON.stringify(runs, null, 2) : formatComparison(runs, { extraRows: await measuredPpl(service, runs) }));
  return 0;
}

export const runs: Command = {
  name: 'runs',
  usage: 'runs [show <id> | compare <id> <id>… | resume <id> [--vram-gb G]] [--status S] [--kind K] [--limit N] [--json]',
  summary: 'Runs recorded in the store, newest first; one in full; several side by side; continue an interrupted slice',
  flags: { values: ['status', 'kind', 'limit', 'vram-gb'] },
  async run(ctx) {
    const [sub] = ctx.args.positionals;
    if (sub === 'show') return show(ctx);
    if (sub === 'compare') return compare(ctx);
    if (sub === 'resume') return resume(ctx);
    if (sub !== undefined) throw new UsageError(`unknown runs subcommand "${sub}" (use show <id>, compare <id> <id>… or resume <id>)`);
    const list = await (
      await ctx.service()
    ).listRuns({
      status: oneOf(stringFlag(ctx.args, 'status'), STATUSES, 'status'),
      kind: oneOf(stringFlag(ctx.args, 'kind'), RUN_KINDS, 'kind'),
      limit: intFlag(ctx.args, 'limit', 1, 100_000),
    });
    ctx.out(ctx.json ? JSON.stringify(list, null, 2) : table(list));
    return 0;
  },
};
