// What a zero-shot task is to the scorer: documents turned into lm-evaluation-harness 0.4
// `multiple_choice` requests. One request per choice: (context, continuation), scored as
// log p(continuation | context). Everything task-specific (templates, preprocessing, which string
// acc_norm divides by) is decided here, so the scorer and metrics stay task-agnostic.

export type TaskName = 'piqa' | 'winogrande' | 'hellaswag' | 'arc_easy' | 'arc_challenge';
export const TASK_NAMES: readonly TaskName[] = ['piqa', 'winogrande', 'hellaswag', 'arc_easy', 'arc_challenge'];

/** One lm-eval `loglikelihood` request: the continuation already carries the target delimiter. */
export interface LoglikelihoodRequest {
  context: string;
  continuation: string;
}

export interface EvalDoc {
  /** 0-based position of the item in its data file. */
  index: number;
  /** One request per choice, in choice order. */
  requests: LoglikelihoodRequest[];
  /**
   * The choices as lm-eval's `doc_to_choice` returns them (no delimiter): acc_norm divides each
   * log-likelihood by the length of these strings in characters (for WinoGrande, the partial contexts).
   */
  choices: string[];
  /** Index of the correct choice. */
  gold: number;
}

export interface TaskSpec {
  name: TaskName;
  /** What every screen calls it ("ARC-e"); files and CSV columns keep `name` (lm-eval's). */
  label: string;
  /** Dataset and split, as a person would say it. */
  title: string;
  /** Items in the full split. */
  size: number;
  /** The metric the SliceGPT paper reports for this task. */
  primaryMetric: 'acc' | 'acc_norm';
  /** The first `limit` documents (all when absent). */
  load(limit?: number): EvalDoc[];
}

/** What clients see of a task (the API's catalog): everything but the loader. */
export type TaskInfo = Omit<TaskSpec, 'load'>;

/** lm-eval's default `target_delimiter` between context and continuation. */
export const TARGET_DELIMITER = ' ';

export class EvalDataError extends Error {
  override name = 'EvalDataError';
}
