// The task registry: name → spec, and parsing of user-given task lists ("piqa,arc_easy").
import { arcChallenge, arcEasy } from './arc';
import { hellaswag } from './hellaswag';
import { piqa } from './piqa';
import { EvalDataError, TASK_INFO, TASK_NAMES, type TaskInfo, type TaskName, type TaskSpec } from './types';
import { winogrande } from './winogrande';

export * from './types';

export const TASKS: Readonly<Record<TaskName, TaskSpec>> = {
  piqa,
  winogrande,
  hellaswag,
  arc_easy: arcEasy,
  arc_challenge: arcChallenge,
};

export class UnknownTaskError extends EvalDataError {
  override name = 'UnknownTaskError';
}

export function getTask(name: string): TaskSpec {
  if (!(TASK_NAMES as readonly string[]).includes(name)) {
    throw new UnknownTaskError(`unknown task "${name}": choose from ${TASK_NAMES.join(', ')}`);
  }
  return TASKS[name as TaskName];
}

/** "piqa, arc_easy" or ['piqa'] → specs, in the given order, without duplicates; empty → all five. */
export function parseTasks(spec?: string | readonly string[]): TaskSpec[] {
  const names = (typeof spec === 'string' ? spec.split(',') : (spec ?? [])).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return TASK_NAMES.map((n) => TASKS[n]);
  return [...new Set(names)].map(getTask);
}

/** The tasks as clients see them (the API's catalog), in TASK_NAMES order. */
export function taskInfo(): TaskInfo[] {
  return TASK_NAMES.map((n) => TASK_INFO[n]);
}
