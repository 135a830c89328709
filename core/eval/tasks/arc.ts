// AI2 ARC (Clark et al. 2018), test split (ARC-Easy 2,376 items, ARC-Challenge 1,172), as lm-evaluation-harness 0.4's `arc_easy` / `arc_challenge`:
//   doc_to_text: "Question: {{question}}\nAnswer:"   doc_to_choice: choices.text
//   doc_to_target: choices.label.index(answerKey)
// Items have 3–5 choices and labels either A–E or 1–5; the gold index is looked up, never assumed.
import { checkLimit, evalFile, readJsonl } from './data';
import { EvalDataError, TARGET_DELIMITER, type EvalDoc, type TaskSpec, TASK_INFO } from './types';

interface ArcRow {
  id: string;
  question: { stem: string; choices: { text: string; label: string }[] };
  answerKey: string;
}

export function arcDoc(row: ArcRow, index: number): EvalDoc {
  const context = `Question: ${row.question.stem}\nAnswer:`;
  const choices = row.question.choices.map((c) => c.text);
  const gold = row.question.choices.findIndex((c) => c.label === row.answerKey);
  if (gold < 0) throw new EvalDataError(`ARC item ${row.id}: answer key ${row.answerKey} is not a choice label`);
  return { index, gold, choices, requests: choices.map((c) => ({ context, continuation: TARGET_DELIMITER + c })) };
}

export function loadArc(folder: string, file: string, limit?: number): EvalDoc[] {
  checkLimit(limit);
  return readJsonl<ArcRow>(evalFile(folder, file), limit).map((r, i) => arcDoc(r, i));
}

export const arcEasy: TaskSpec = {
  ...TASK_INFO.arc_easy,
  load: (limit) => loadArc('arc_easy', 'ARC-Easy-Test.jsonl', limit),
};

export const arcChallenge: TaskSpec = {
  ...TASK_INFO.arc_challenge,
  load: (limit) => loadArc('arc_challenge', 'ARC-Challenge-Test.jsonl', limit),
};
