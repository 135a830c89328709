// Where an evaluation job is, as one line and one bar over the whole job. The job measures perplexity
// first (open the model, tokenize, the windows), then the tasks (load them, open the model again, score),
// and each part reports its phases with a fraction starting from 0 — shown raw, the bar emptied and the
// line read "Loading · opening model" after perplexity had finished.
import { taskName } from '../../lib/tasks';

export interface EvalStageInput {
  status: string;
  phase: string;
  /** Phases seen so far, first appearance order. */
  phases: string[];
  fraction: number | null;
  message: string;
  /** The job measures perplexity. */
  ppl: boolean;
  /** Perplexity's result has arrived (its log line). */
  pplDone: boolean;
  /** Number of tasks the job scores. */
  tasks: number;
}

export interface EvalStage {
  label: string;
  /** 0…1 over the whole job; null before anything is known. */
  fraction: number | null;
  /** In the job's last part (its ETA is the job's). */
  last: boolean;
}

export function evalStage(x: EvalStageInput): EvalStage {
  if (x.status === 'done') return { label: 'Finished', fraction: 1, last: true };
  const f = x.fraction ?? 0;
  // Perplexity is one part and every task another; a part's share is its fraction.
  const parts = (x.ppl ? 1 : 0) + x.tasks;
  if (parts === 0) return { label: 'Starting', fraction: null, last: true };
  const inPpl = x.ppl && !x.pplDone && !x.phases.some((p) => p.startsWith('task:'));
  if (inPpl) {
    const detail = ({ '': 'starting', load: 'opening the model', tokenize: 'tokenizing WikiText-2', ppl: x.message || 'scoring windows' } as Record<string, string>)[x.phase] ?? x.phase;
    return { label: `Perplexity · ${detail}`, fraction: x.phase === 'ppl' ? f / parts : 0, last: x.tasks === 0 };
  }
  if (x.tasks === 0) return { label: 'Recording the results', fraction: 1, last: true };
  const before = x.ppl ? 1 : 0;
  if (x.phase.startsWith('task:')) {
    // The job's fraction here is documents scored over all tasks' documents.
    const n = /(\d+)\/(\d+)$/.exec(x.message);
    return { label: `${taskName(x.phase.slice(5))} · ${n ? `${n[1]} of ${n[2]} documents` : 'scoring'}`, fraction: (before + f * x.tasks) / parts, last: true };
  }
  // The tasks' own last event ('done') comes before the run is recorded: the bar is full, the line says so.
  if (x.phase === 'done') return { label: 'Recording the results', fraction: 1, last: true };
  const detail = x.phase === 'load' ? x.message || 'loading' : x.phase || 'starting';
  return { label: `Zero-shot tasks · ${detail}`, fraction: before / parts, last: true };
}
