// One display name per zero-shot task, for every screen (wizard, Runs, Compare, charts): the engine's own
// table (core/eval/tasks/info.ts, pure; the API's catalog serves the same rows). Ids stay the engine's
// (lm-eval's) names in files and CSV columns; people read the labels.
import { TASK_INFO, TASK_NAMES } from '../../../core/eval/tasks/info';

export const TASKS = TASK_NAMES.map((id) => ({ id, label: TASK_INFO[id].label }));

/** "arc_easy" → "ARC-e"; an unknown task keeps its id. */
export function taskName(id: string): string {
  return TASKS.find((t) => t.id === id)?.label ?? id;
}

/** The metric the SliceGPT paper reports for a task; plain accuracy for a task the engine does not know. */
export function primaryMetric(id: string): 'acc' | 'acc_norm' {
  const name = TASK_NAMES.find((n) => n === id);
  return name ? TASK_INFO[name].primaryMetric : 'acc';
}
