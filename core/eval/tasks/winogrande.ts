// WinoGrande dev (= lm-eval's winogrande_xl validation split, 1,267 items), with lm-evaluation-harness
// 0.4's partial evaluation (`multiple_inputs: true`): each option substituted into the sentence up to
// the blank is a context; the rest of the sentence after the blank, stripped, is the one continuation
// both contexts are scored on. The zero-shot prefix is empty, so context = partial sentence.
//   doc_to_choice: [sentence[:idx] + option1, sentence[:idx] + option2]
//   doc_to_target: sentence[idx+1:].strip()        gold: {"1": 0, "2": 1}[answer]
// acc_norm (not reported by lm-eval for this task) would divide by the partial contexts' lengths.
import { loadLabelled } from './data';
import { EvalDataError, TARGET_DELIMITER, type EvalDoc, type TaskSpec, TASK_INFO } from './types';

interface WinograndeRow {
  qID: string;
  sentence: string;
  option1: string;
  option2: string;
}

/** Python's str.strip(): Unicode whitespace at both ends. */
const pyStrip = (s: string): string => s.replace(/^\s+|\s+$/gu, '');

export function winograndeDoc(row: WinograndeRow, answer: number, index: number): EvalDoc {
  const blank = row.sentence.indexOf('_');
  if (blank < 0) throw new EvalDataError(`winogrande item ${index} (${row.qID}) has no blank`);
  const target = pyStrip(row.sentence.slice(blank + 1));
  const choices = [row.option1, row.option2].map((o) => row.sentence.slice(0, blank) + o);
  if (answer !== 1 && answer !== 2) throw new EvalDataError(`winogrande item ${index}: answer must be 1 or 2`);
  return {
    index,
    gold: answer - 1,
    choices,
    requests: choices.map((c) => ({ context: c, continuation: TARGET_DELIMITER + target })),
  };
}

export const winogrande: TaskSpec = {
  ...TASK_INFO.winogrande,
  load: (limit) => loadLabelled('winogrande', 'dev.jsonl', 'dev-labels.lst', limit, winograndeDoc),
};
