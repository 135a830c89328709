// The dense model's numbers beside a slice's: the newest finished evaluation of the dense model folder
// under the same protocol (perplexity windows, documents per task, the same tasks). Until the core
// caches a dense baseline per model and protocol, this looks one up among the recorded runs; null when
// there is none (the screen says "—").
import type { MetricRow } from '../../../core/store/types';
import { api } from './api';

export interface Protocol {
  ppl: boolean;
  pplMaxWindows: number;
  limit: number;
  tasks: string[];
}

export async function denseBaseline(densePath: string, p: Protocol): Promise<MetricRow[] | null> {
  const runs = await api.listRuns({ kind: 'eval', status: 'done', limit: 200 });
  const same = runs.find((r) => {
    const s = r.settings;
    const tasks = Array.isArray(s['tasks']) ? (s['tasks'] as unknown[]) : [];
    return (
      s['model'] === densePath &&
      s['limit'] === p.limit &&
      (!p.ppl || (s['ppl'] === true && s['pplMaxWindows'] === p.pplMaxWindows)) &&
      p.tasks.every((t) => tasks.includes(t))
    );
  });
  return same ? (await api.getRun(same.id)).metrics : null;
}
