// What a tokenizer file must be before the library sees it. @huggingface/tokenizers trusts its input: a
// non-string added-token content, a null in vocab.json or a malformed merge surfaces later as a TypeError
// (a bug, to us) or as nonsense (a token id of 2³¹ makes every id table 2³¹ long). So the parts the library
// reads blindly are checked here, and what cannot be right is refused with one line.
import { checkUntrustedRegex } from './regex-safety';

/** Largest token id accepted (= the config's vocabulary bound): real vocabularies stay below 300,000. */
export const MAX_TOKEN_ID = 4_194_304;
const MAX_ADDED_TOKENS = 100_000;
const MAX_MERGES = 4_194_304;
/** Nesting of normalizer / pre-tokenizer / decoder sections (Sequence in Sequence …); real files use ≤ 3. */
const MAX_SECTION_DEPTH = 16;

type Fail = (message: string) => never;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v) : typeof v === 'object' ? 'an object' : String(v));

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < MAX_TOKEN_ID;

/** vocab.json or tokenizer.json's model.vocab: token → id, every id a whole number in range. */
export function checkVocab(vocab: unknown, where: string, fail: Fail): Record<string, number> {
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab)) fail(`${where} is not a JSON object of token → id`);
  const entries = Object.entries(vocab as Record<string, unknown>);
  if (entries.length === 0) fail(`${where} is empty`);
  if (entries.length > MAX_TOKEN_ID) fail(`${where} has ${entries.length} tokens, more than ${MAX_TOKEN_ID}`);
  for (const [token, id] of entries) if (!isId(id)) fail(`${where}: token ${describe(token)} has id ${describe(id)}; ids are whole numbers from 0 to ${MAX_TOKEN_ID - 1}`);
  return vocab as Record<string, number>;
}

/** merges.txt: "a b" per line (a first "#version" line allowed). */
export function parseMergesText(text: string, where: string, fail: Fail): string[] {
  const merges: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.length === 0 || (i === 0 && line.startsWith('#version'))) continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') fail(`${where} line ${i + 1} is not two tokens separated by one space`);
    merges.push(line);
    if (merges.length > MAX_MERGES) fail(`${where} has more than ${MAX_MERGES} merges`);
  }
  return merges;
}

function checkMerges(merges: unknown, where: string, fail: Fail): void {
  if (!Array.isArray(merges)) fail(`${where}: model.merges is ${describe(merges)}; expected a list`);
  const list = merges as unknown[];
  if (list.length > MAX_MERGES) fail(`${where}: model.merges has more than ${MAX_MERGES} entries`);
  const pairs = Array.isArray(list[0]);
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const ok = pairs ? Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string' : typeof m === 'string' && m.split(' ').length === 2;
    if (!ok) fail(`${where}: merge ${i} is ${describe(m)}; expected ${pairs ? 'a pair of tokens' : '"a b"'} like the others`);
  }
}

/** Depth of nested objects/arrays (iterative: a 100,000-deep file must not overflow the stack here). */
function depthOf(v: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (!x || typeof x !== 'object') continue;
    max = Math.max(max, d);
    if (max > limit) return max;
    for (const c of Object.values(x)) if (c && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

const optional = (v: unknown, type: 'string' | 'boolean' | 'number'): boolean => v === undefined || v === null || typeof v === type;

/** tokenizer.json, parsed: the shape the library reads without checking. Fills in absent sections as null. */
export function checkTokenizerJson(json: unknown, where: string, fail: Fail): void {
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail(`${where} is not a JSON object`);
  const j = json as Record<string, unknown>;
  const model = j.model as Record<string, unknown> | undefined;
  if (!model || typeof model !== 'object' || Array.isArray(model)) fail(`${where} has no "model" section`);
  const m = model as Record<string, unknown>;
  if (m.type === undefined && Array.isArray(m.merges)) m.type = 'BPE';
  // Every family Slice Studio slices (LLaMA, Mistral, Qwen2, OPT, Phi) ships a BPE tokenizer.
  if (m.type !== 'BPE') fail(`${where}: tokenizer model ${describe(m.type)} is not supported (the supported families use BPE)`);
  checkVocab(m.vocab, `${where} model.vocab`, fail);
  checkMerges(m.merges, where, fail);
  for (const k of ['unk_token', 'continuing_subword_prefix', 'end_of_word_suffix'] as const) if (!optional(m[k], 'string')) fail(`${where}: model.${k} is ${describe(m[k])}; expected text`);
  for (const k of ['byte_fallback', 'fuse_unk', 'ignore_merges'] as const) if (!optional(m[k], 'boolean')) fail(`${where}: model.${k} is ${describe(m[k])}; expected true or false`);
  if (!optional(m.dropout, 'number')) fail(`${where}: model.dropout is ${describe(m.dropout)}`);

  const added = j.added_tokens ?? [];
  if (!Array.isArray(added)) fail(`${where}: added_tokens is ${describe(added)}; expected a list`);
  if ((added as unknown[]).length > MAX_ADDED_TOKENS) fail(`${where}: more than ${MAX_ADDED_TOKENS} added tokens`);
  (added as unknown[]).forEach((t, i) => {
    if (!t || typeof t !== 'object' || Array.isArray(t)) fail(`${where}: added token ${i} is ${describe(t)}; expected an object`);
    const a = t as Record<string, unknown>;
    if (typeof a.content !== 'string' || a.content.length === 0 || a.content.length > 1000) fail(`${where}: added token ${i} has content ${describe(a.content)}; expected non-empty text`);
    if (!isId(a.id)) fail(`${where}: added token ${describe(a.content)} has id ${describe(a.id)}; ids are whole numbers from 0 to ${MAX_TOKEN_ID - 1}`);
    for (const k of ['single_word', 'lstrip', 'rstrip', 'normalized', 'special'] as const) if (!optional(a[k], 'boolean')) fail(`${where}: added token ${describe(a.content)} has ${k} ${describe(a[k])}; expected true or false`);
  });
  j.added_tokens = added;
  for (const k of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) {
    const v = j[k] ?? null;
    if (v !== null && (typeof v !== 'object' || Array.isArray(v))) fail(`${where}: ${k} is ${describe(v)}; expected an object or null`);
    if (depthOf(v, MAX_SECTION_DEPTH) > MAX_SECTION_DEPTH) fail(`${where}: ${k} is nested more than ${MAX_SECTION_DEPTH} levels deep`);
    j[k] = v;
  }
}

/** tokenizer_config.json / special_tokens_map.json: only the fields the library iterates need a shape. */
export function checkTokenizerConfig(config: Record<string, unknown>, where: string, fail: Fail): void {
  const extra = config.additional_special_tokens;
  if (extra !== undefined && extra !== null && !(Array.isArray(extra) && extra.every((t) => typeof t === 'string' || (t && typeof t === 'object')))) fail(`${where}: additional_special_tokens is ${describe(extra)}; expected a list of tokens`);
  if (Array.isArray(extra)) config.additional_special_tokens = extra.map((t) => (typeof t === 'string' ? t : (t as { content?: unknown }).content)).filter((t) => typeof t === 'string');
}

/**
 * Every regex of the built pipeline that came from the file (normalizer / pre-tokenizer / decoder
 * `pattern: {Regex}`), checked in the form the library compiled it to: see regex-safety.ts.
 */
export function checkPipelineRegexes(tokenizer: object, where: string, fail: Fail): void {
  const seen = new Set<unknown>();
  const visit = (o: unknown, depth: number): void => {
    if (!o || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o) || depth > MAX_SECTION_DEPTH + 2) return;
    seen.add(o);
    const r = o as Record<string, unknown> & { config?: { pattern?: { Regex?: unknown } } };
    if (r.pattern instanceof RegExp && typeof r.config?.pattern?.Regex === 'string') {
      const verdict = checkUntrustedRegex(r.pattern.source, r.pattern.flags);
      if (!verdict.ok) fail(`${where}: the pattern ${describe(r.config.pattern.Regex)} is refused: ${verdict.reason}`);
    }
    for (const k of ['normalizer', 'pre_tokenizer', 'decoder', 'normalizers', 'tokenizers', 'decoders']) {
      const c = r[k];
      if (Array.isArray(c)) c.forEach((x) => visit(x, depth + 1));
      else visit(c, depth + 1);
    }
  };
  visit(tokenizer, 0);
}
