// The zero-shot tasks' metadata, apart from their loaders (which read data files): pure, so the renderer
// reads display names and primary metrics from here and the API's catalog serves the same rows.

export type TaskName = 'piqa' | 'winogrande' | 'hellaswag' | 'arc_easy' | 'arc_challenge';
export const TASK_NAMES: readonly TaskName[] = ['piqa', 'winogrande', 'hellaswag', 'arc_easy', 'arc_challenge'];

export interface TaskInfo {
  name: TaskName;
  /** What every screen calls it ("ARC-e"); files and CSV columns keep `name` (lm-eval's). */
  label: string;
  /** Dataset and split, as a person would say it. */
  title: string;
  /** Items in the full split. */
  size: number;
  /** The metric the SliceGPT paper reports for this task (lm-eval's acc_norm, except WinoGrande's acc). */
  primaryMetric: 'acc' | 'acc_norm';
}

export const TASK_INFO: Readonly<Record<TaskName, TaskInfo>> = {
  piqa: { name: 'piqa', label: 'PIQA', title: 'PIQA validation', size: 1838, primaryMetric: 'acc_norm' },
  winogrande: { name: 'winogrande', label: 'WinoGrande', title: 'WinoGrande dev (winogrande_xl validation)', size: 1267, primaryMetric: 'acc' },
  hellaswag: { name: 'hellaswag', label: 'HellaSwag', title: 'HellaSwag validation', size: 10042, primaryMetric: 'acc_norm' },
  arc_easy: { name: 'arc_easy', label: 'ARC-e', title: 'ARC-Easy test', size: 2376, primaryMetric: 'acc_norm' },
  arc_challenge: { name: 'arc_challenge', label: 'ARC-c', title: 'ARC-Challenge test', size: 1172, primaryMetric: 'acc_norm' },
};
