// A dataset from a file on the user's disk.
//
// .txt — one document per paragraph: paragraphs are separated by one or more blank lines (lines holding
//   only whitespace). A paragraph keeps its inner line breaks, its lines' text is untouched, and "\r\n" is
//   read as "\n". Why paragraphs and not lines: a line is often a fragment of a sentence (hard-wrapped
//   text), while calibration joins documents with "\n\n" — exactly a paragraph break — so splitting on
//   blank lines and re-joining gives back the file's own text (up to the number of blank lines).
//   With `txtMode: 'lines'`, every non-blank line is a document instead (one sentence/record per line).
// .jsonl — one JSON object per line: its string field `text` (or the field named by `field`), or an
//   Alpaca record {instruction, input?, output} formatted with the Alpaca template. Blank lines are skipped.
// .json — an array of such objects (e.g. alpaca_data.json), or of strings.
import { readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { alpacaText, isAlpacaRecord } from './alpaca';
import { DatasetError, type TextDataset } from './dataset';
import { parseJsonText } from '../model/input-file';

export interface LocalDatasetOptions {
  /** .txt only: 'paragraphs' (default) or 'lines'. */
  txtMode?: 'paragraphs' | 'lines';
  /** .jsonl/.json: the string field holding each document (default 'text', then Alpaca fields). */
  field?: string;
}

export const LOCAL_DATASET_EXTENSIONS = ['.txt', '.jsonl', '.json'] as const;

export async function localDataset(path: string, opts: LocalDatasetOptions = {}): Promise<TextDataset> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new DatasetError(`dataset file not found: ${path}`);
  const ext = extname(path).toLowerCase();
  if (!(LOCAL_DATASET_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new DatasetError(`unsupported dataset file ${basename(path)}: use a .txt, .jsonl or .json file`);
  }
  const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '').replaceAll('\r\n', '\n');
  const rows = ext === '.txt' ? (opts.txtMode === 'lines' ? textLines(text) : textParagraphs(text)) : ext === '.jsonl' ? jsonlDocuments(text, path, opts.field) : jsonDocuments(text, path, opts.field);
  if (rows.length === 0) throw new DatasetError(`${basename(path)} holds no documents`);
  return { name: basename(path), rows };
}

/** Paragraphs: maximal runs of non-blank lines, inner "\n"s kept, no trailing newline. */
export function textParagraphs(text: string): string[] {
  // A break is a newline followed by one or more whitespace-only lines; the next paragraph's indentation stays.
  return text
    .split(/\n(?:[ \t]*\n)+/)
    .map((p) => p.replace(/^(?:[ \t]*\n)+/, '').replace(/(?:\n[ \t]*)+$/, ''))
    .filter((p) => p.trim().length > 0);
}

/** Non-blank lines, without their newline. */
export function textLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim().length > 0);
}

function documentOf(value: unknown, field: string | undefined, where: string): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    const key = field ?? 'text';
    if (typeof rec[key] === 'string') return rec[key] as string;
    if (!field && isAlpacaRecord(rec)) return alpacaText(rec);
  }
  const want = field ? `a string "${field}" field` : 'a string "text" field or Alpaca fields (instruction, input, output)';
  throw new DatasetError(`${where}: expected ${want}`);
}

function jsonlDocuments(text: string, path: string, field?: string): string[] {
  const rows: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const value = parseJsonText(lines[i], `${basename(path)} line ${i + 1}`, DatasetError);
    rows.push(documentOf(value, field, `${basename(path)} line ${i + 1}`));
  }
  return rows;
}

function jsonDocuments(text: string, path: string, field?: string): string[] {
  const value = parseJsonText(text, basename(path), DatasetError);
  if (!Array.isArray(value)) throw new DatasetError(`${basename(path)}: expected a JSON array of documents`);
  return value.map((v, i) => documentOf(v, field, `${basename(path)} item ${i}`));
}
