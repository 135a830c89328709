// Zero-shot accuracy report: lm-eval 0.4 tasks on one or more models, JSON on stdout.
//   npm run bench -- eval [folder …] [--tasks piqa,winogrande,…] [--limit N] [--offset N] [--ep cpu] [--artifacts DIR] [--tag T]
// Without folders: the four shared dense models. Progress goes to stderr.
import { join, basename } from 'node:path';
import { evaluate, type EvaluateResult } from '../core/eval/evaluate';
import type { ExecutionProvider } from '../core/runtime/contract';
import type { JobContext } from '../core/base/job-context';
import { sharedModel } from '../test/shared';

const SHARED = ['tiny-llama', 'tiny-opt', 'tiny-phi', 'tiny-stories'].map((m) => sharedModel(m));

function parse(args: string[]) {
  const out: { models: string[]; tasks?: string; limit?: number; offset?: number; ep?: ExecutionProvider; artifacts?: string; tag?: string } = { models: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--tasks') out.tasks = args[++i];
    else if (a === '--limit') out.limit = Number(args[++i]);
    else if (a === '--offset') out.offset = Number(args[++i]);
    else if (a === '--ep') out.ep = args[++i] as ExecutionProvider;
    else if (a === '--artifacts') out.artifacts = args[++i];
    else if (a === '--tag') out.tag = args[++i];
    else out.models.push(a);
  }
  if (out.models.length === 0) out.models = SHARED;
  return out;
}

function stderrContext(label: string): JobContext {
  let last = 0;
  return {
    signal: new AbortController().signal,
    log: (m) => process.stderr.write(`[${label}] ${m}\n`),
    progress: (p) => {
      const t = Date.now();
      if (t - last < 10_000 && p.phase !== 'done') return;
      last = t;
      const eta = p.etaSeconds !== undefined ? `, eta ${Math.round(p.etaSeconds)} s` : '';
      process.stderr.write(`[${label}] ${p.phase} ${p.message ?? ''} ${((p.fraction ?? 0) * 100).toFixed(1)}%${eta}\n`);
    },
  };
}

export async function main(args: string[]): Promise<void> {
  const o = parse(args);
  const reports: EvaluateResult[] = [];
  const t0 = performance.now();
  for (const model of o.models) {
    const name = basename(model);
    const artifactPath = o.artifacts ? join(o.artifacts, `${name}${o.tag ? `.${o.tag}` : ''}.jsonl`) : undefined;
    reports.push(await evaluate(stderrContext(name), { model, tasks: o.tasks, limit: o.limit, offset: o.offset, ep: o.ep, artifactPath }));
  }
  const summary = reports.map((r) => ({
    model: basename(r.model),
    ...Object.fromEntries(r.tasks.map((t) => [t.task, { acc: round(t.acc), acc_norm: round(t.accNorm), n: t.n }])),
    average: round(r.average),
  }));
  console.log(JSON.stringify({ bench: 'eval', limit: o.limit ?? null, seconds: (performance.now() - t0) / 1000, summary, reports }, null, 1));
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
