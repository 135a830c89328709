// What a zero-shot task is to the scorer: documents turned into lm-evaluation-harness 0.4
// `multiple_choice` requests. One request per choice: (context, continuation), scored as
// log p(continuation | context). Everything task-specific (templates, preprocessing, which string
// acc_norm divides by) is decided here, so the scorer and metrics stay task-agnostic.

import type { TaskInfo } from './info';

export { TASK_NAMES, TASK_INFO, type TaskName, type TaskInfo } from './info';

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

export interface TaskSpec extends TaskInfo {
  /** The first `limit` documents (all when absent). */
  load(limit?: number): EvalDoc[];
}

/** lm-eval's default `target_delimiter` between context and continuation. */
export const TARGET_DELIMITER = ' ';

export class EvalDataError extends Error {
  override name = 'EvalDataError';
}
