// HellaSwag validation (Zellers et al. 2019, 10,042 items) as lm-evaluation-harness 0.4's `hellaswag`:
//   query   = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize())
//   choices = [preprocess(e) for e in endings]        continuation = " " + choice
//   preprocess(t) = t.strip(); t.replace(" [title]", ". "); re.sub("\[.*?\]", "", t); t.replace("  ", " ")
//
// The bundled file is a DERIVED text format (klosax/hellaswag_text_data, see ATTRIBUTION.md): six lines
// per item — `activity_label + ": " + ctx` (ctx = ctx_a + " " + ctx_b, not capitalized), the label, the
// four endings — with WikiHow's [header]/[step]/[substeps]/[title] markers already removed by a
// preprocessing close to lm-eval's. We rebuild lm-eval's strings from it:
// - lm-eval's `preprocess` is applied again to every field: it is idempotent on the extractor's output
//   and removes the bracketed spans the extractor kept (e.g. "[www.kiddio.org]", 18 lines).
// - ctx_b.capitalize(): ctx_b is not marked in the file. ActivityNet items (3,242; their ctx does not
//   start with "How to") end in ctx_b, an unfinished lower-case sentence after the last ". ", "! " or
//   "? " (3,235 of them); that tail gets Python's capitalize() (first letter upper, the rest lower).
//   WikiHow items (ctx starts "How to") are left alone: their ctx_b is empty or a full sentence that
//   already starts upper-case, and WikiHow text is lower-cased, so capitalize() is a no-op there.
// Known, unrecoverable differences from lm-eval on the original jsonl:
// - a field whose original text STARTED with a marker (e.g. an ending "[title] Wash…"): lm-eval keeps a
//   leading space (" Wash…", so the continuation is "  Wash…" and acc_norm's length is one more); the
//   extractor trimmed it.
// - the 7 ActivityNet items whose tail starts with a digit or quote (e.g. `" power dribble`, "50") keep
//   the tail as is; capitalize() would change them only if they held upper-case letters after the first.
import { checkLimit, evalFile, readLines } from './data';
import { EvalDataError, TARGET_DELIMITER, TASK_INFO, type EvalDoc, type TaskSpec } from './types';

/** lm-eval 0.4 `hellaswag/utils.py: preprocess`. */
export function hellaswagPreprocess(text: string): string {
  let t = text.replace(/^\s+|\s+$/gu, '');
  t = t.replaceAll(' [title]', '. ');
  t = t.replace(/\[.*?\]/g, '');
  t = t.replaceAll('  ', ' ');
  return t;
}

/** Python's str.capitalize(): first character upper-case, the rest lower-case. */
export function pyCapitalize(s: string): string {
  return s.length === 0 ? s : s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** Rebuild `activity_label + ": " + ctx_a + " " + ctx_b.capitalize()` from the derived line. */
export function hellaswagQuery(line: string): string {
  const sep = line.indexOf(': ');
  if (sep < 0) return hellaswagPreprocess(line);
  const ctx = line.slice(sep + 2);
  if (ctx.startsWith('How to')) return hellaswagPreprocess(line); // WikiHow: see the note above
  let tailStart = 0;
  for (const m of ctx.matchAll(/[.!?]["')]* /g)) tailStart = m.index + m[0].length;
  const tail = ctx.slice(tailStart);
  if (tailStart === 0 || !/^\p{Ll}/u.test(tail)) return hellaswagPreprocess(line);
  return hellaswagPreprocess(line.slice(0, sep + 2) + ctx.slice(0, tailStart) + pyCapitalize(tail));
}

/** One item from its six lines. */
export function hellaswagDoc(lines: string[], index: number): EvalDoc {
  const gold = Number(lines[1]);
  if (!Number.isInteger(gold) || gold < 0 || gold > 3) throw new EvalDataError(`hellaswag item ${index}: label "${lines[1]}" is not 0–3`);
  const context = hellaswagQuery(lines[0]);
  const choices = lines.slice(2, 6).map(hellaswagPreprocess);
  return { index, gold, choices, requests: choices.map((c) => ({ context, continuation: TARGET_DELIMITER + c })) };
}

export const hellaswag: TaskSpec = {
  ...TASK_INFO.hellaswag,
  load(limit) {
    checkLimit(limit);
    const path = evalFile('hellaswag', 'hellaswag_val_full.txt');
    const lines = readLines(path);
    if (lines.length % 6 !== 0) throw new EvalDataError(`${path}: expected six lines per item, got ${lines.length} lines`);
    const n = Math.min(lines.length / 6, limit ?? Infinity);
    const docs: EvalDoc[] = [];
    for (let i = 0; i < n; i++) docs.push(hellaswagDoc(lines.slice(6 * i, 6 * i + 6), i));
    return docs;
  },
};
