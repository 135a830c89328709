// Reading the bundled task files (resources/evals). Small helpers shared by the task loaders;
// errors name the file so a broken install is diagnosable without a stack trace.
import { existsSync, readFileSync } from 'node:fs';
import { resourcePath } from '../../base/paths';
import { EvalDataError, type EvalDoc } from './types';

export function evalFile(...parts: string[]): string {
  const p = resourcePath('evals', ...parts);
  if (!existsSync(p)) throw new EvalDataError(`evaluation data missing: ${p}`);
  return p;
}

/** Lines of a text file, without the final empty line; `limit` stops early. */
export function readLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function readJsonl<T>(path: string, limit?: number): T[] {
  const lines = readLines(path);
  const n = limit === undefined ? lines.length : Math.min(limit, lines.length);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push(JSON.parse(lines[i]) as T);
    } catch {
      throw new EvalDataError(`${path}: line ${i + 1} is not valid JSON`);
    }
  }
  return out;
}

export function readLabels(path: string, limit?: number): number[] {
  const lines = readLines(path);
  const n = limit === undefined ? lines.length : Math.min(limit, lines.length);
  return lines.slice(0, n).map((l, i) => {
    const v = Number(l.trim());
    if (!Number.isInteger(v)) throw new EvalDataError(`${path}: line ${i + 1} is not a label`);
    return v;
  });
}

export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new EvalDataError(`limit must be a positive integer, got ${limit}`);
  }
}

/** Rows of a .jsonl file and their labels from a second file (PIQA, WinoGrande), made into documents. */
export function loadLabelled<Row>(task: string, rowsFile: string, labelsFile: string, limit: number | undefined, doc: (row: Row, label: number, index: number) => EvalDoc): EvalDoc[] {
  checkLimit(limit);
  const rows = readJsonl<Row>(evalFile(task, rowsFile), limit);
  const labels = readLabels(evalFile(task, labelsFile), limit);
  if (rows.length !== labels.length) throw new EvalDataError(`${task}: ${rowsFile} and ${labelsFile} differ in length`);
  return rows.map((r, i) => doc(r, labels[i], i));
}
