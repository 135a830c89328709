// PIQA validation (Bisk et al. 2020), as lm-evaluation-harness 0.4's `piqa` task builds it:
//   doc_to_text: "Question: {{goal}}\nAnswer:"   doc_to_choice: [sol1, sol2]   target: label
// Each continuation is " " + solution, unchanged (trailing spaces in the data are kept, as lm-eval does).
import { loadLabelled } from './data';
import { TARGET_DELIMITER, TASK_INFO, type EvalDoc, type TaskSpec } from './types';

interface PiqaRow {
  goal: string;
  sol1: string;
  sol2: string;
}

export function piqaDoc(row: PiqaRow, label: number, index: number): EvalDoc {
  const context = `Question: ${row.goal}\nAnswer:`;
  const choices = [row.sol1, row.sol2];
  return { index, gold: label, choices, requests: choices.map((c) => ({ context, continuation: TARGET_DELIMITER + c })) };
}

export const piqa: TaskSpec = {
  ...TASK_INFO.piqa,
  load: (limit) => loadLabelled('piqa', 'valid.jsonl', 'valid-labels.lst', limit, piqaDoc),
};
