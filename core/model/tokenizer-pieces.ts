// Piecewise encoding of a long corpus that gives exactly the ids of encoding it in one call.
//
// Why: LLaMA-2's tokenizer has no pre-tokenizer, so one call runs BPE over the whole 1.3 MB WikiText-2
// test text as a single "word" (~60 s here); cut into short pieces it takes a few seconds. Cutting is
// only exact at places where no step of the pipeline looks across the cut:
//   - the cut is before a single ' ' with an ASCII graphic char on its left and an ASCII letter on its
//     right ("word| word"). Every pre-tokenizer handled here (Metaspace, GPT-2 / Llama-3 byte-level
//     regexes) ends a pre-token there and starts the next one at the space, whatever follows;
//   - with no pre-tokenizer (SentencePiece-style BPE over the whole text) the cut is also where no vocab
//     entry contains the two characters on either side (after normalization), so no merge can span it;
//   - no added token (special token, or Phi-2's whitespace tokens) can span the cut;
//   - a piece that starts mid-text must not get the "start of text" treatment: the metaspace prefix
//     (`prepend_scheme`), the `Prepend` normalizer, or ByteLevel's `add_prefix_space`. Those pieces are
//     encoded by a *continuation* variant of the tokenizer with that prefix switched off;
//   - an added token that is matched in the raw text (normalized: false) starts a new "section" for the
//     library, so every such token is a forced cut, and the piece starting with it is encoded by the
//     ordinary tokenizer (its later sections then see the same section index as in the whole text).
// A tokenizer whose pipeline is not one of these shapes is encoded in one call: slower, still exact.
import type { AddedTokenJson, TokenizerJson } from './tokenizer-files';

/**
 * The longest piece handed to the library. A text with no allowed cut for longer than this (a 3 MB line with
 * no whitespace, a long run of CJK text) is cut anyway: BPE on one multi-megabyte "word" takes seconds and
 * gigabytes, and `maxTokens` could not stop it early. Such a forced cut is exact for SentencePiece-style BPE
 * when no vocab entry spans it (tried first); elsewhere it may tokenize the few characters around the cut
 * differently from one call. Real prose has no whitespace-free run of this length.
 */
export const MAX_PIECE_CHARS = 4096;

/** One piece of the text: [start, end) and whether it starts mid-section (continuation encoder). */
export interface Piece {
  start: number;
  end: number;
  continuation: boolean;
}

type CharMap = (c: string) => string;

/** The per-character map of a normalizer made only of char-wise steps; null when it is anything else. */
function charwiseNormalizer(n: Record<string, any> | null): { map: CharMap; hasPrepend: boolean } | null {
  if (!n) return { map: (c) => c, hasPrepend: false };
  const steps = n.type === 'Sequence' ? (n.normalizers as Record<string, any>[]) : [n];
  const maps: CharMap[] = [];
  let hasPrepend = false;
  for (const s of steps) {
    if (s.type === 'Prepend') hasPrepend = true;
    else if (s.type === 'Replace' && typeof s.pattern?.String === 'string' && [...s.pattern.String].length === 1) {
      const from = s.pattern.String as string;
      const to = s.content as string;
      maps.push((c) => (c === from ? to : c));
    } else if (['NFC', 'NFD', 'NFKC', 'NFKD'].includes(s.type)) {
      // Identity on the ASCII characters a cut is allowed between.
    } else return null;
  }
  return { map: (c) => maps.reduce((x, f) => f(x), c), hasPrepend };
}

function withoutPrepend(n: Record<string, any> | null): Record<string, any> | null {
  if (!n || n.type === 'Prepend') return null;
  if (n.type === 'Sequence') return { ...n, normalizers: (n.normalizers as Record<string, any>[]).filter((s) => s.type !== 'Prepend') };
  return n;
}

/** Known byte-level split regexes (GPT-2's is built into ByteLevel with use_regex; cl100k/Llama-3/Qwen2 use Split). */
function isWordSplitRegex(pattern: string): boolean {
  return pattern.includes('?\\p{L}+');
}

type Shape = { kind: 'pairs'; pairs: Set<string>; map: CharMap } | { kind: 'words' } | null;

/** The continuation variant and the cut shape of a tokenizer, or null when it must be encoded whole. */
export function analyse(json: TokenizerJson, config: Record<string, unknown>): { shape: Exclude<Shape, null>; continuation: TokenizerJson; prefixPerSubsection: boolean } | null {
  if (config.remove_space === true || config.do_lowercase_and_remove_accent === true) return null;
  if (json.added_tokens.some((t) => t.lstrip || t.rstrip)) return null;
  const norm = charwiseNormalizer(json.normalizer);
  if (!norm) return null;
  const pre = json.pre_tokenizer;
  const continuation: TokenizerJson = { ...json, normalizer: withoutPrepend(json.normalizer) };
  if (pre === null) {
    if (json.model.type !== 'BPE') return null;
    return { shape: { kind: 'pairs', pairs: vocabPairs(json), map: norm.map }, continuation, prefixPerSubsection: false };
  }
  if (norm.hasPrepend) return null;
  if (pre.type === 'Metaspace' && pre.split === false) {
    // One word for the whole text (transformers 5's LlamaTokenizer): like no pre-tokenizer, with ' ' → ▁
    // as a char map; only the text's start gets the ▁ ("first"), or every section's ("always").
    if (json.model.type !== 'BPE') return null;
    const rep = typeof pre.replacement === 'string' ? (pre.replacement as string) : '▁';
    const scheme = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
    continuation.pre_tokenizer = { ...pre, prepend_scheme: 'never', add_prefix_space: false };
    const map: CharMap = (c) => (norm.map(c) === ' ' ? rep : norm.map(c));
    return { shape: { kind: 'pairs', pairs: vocabPairs(json), map }, continuation, prefixPerSubsection: scheme === 'always' };
  }
  if (pre.type === 'Metaspace') {
    const scheme = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
    continuation.pre_tokenizer = { ...pre, prepend_scheme: 'never', add_prefix_space: false };
    return { shape: { kind: 'words' }, continuation, prefixPerSubsection: scheme !== 'never' };
  }
  const byteLevel = (p: Record<string, any>) => p.type === 'ByteLevel';
  if (byteLevel(pre) && pre.use_regex !== false) {
    continuation.pre_tokenizer = { ...pre, add_prefix_space: false };
    return { shape: { kind: 'words' }, continuation, prefixPerSubsection: pre.add_prefix_space === true };
  }
  if (pre.type === 'Sequence') {
    const steps = pre.pretokenizers as Record<string, any>[];
    const ok = steps.length === 2 && steps[0].type === 'Split' && typeof steps[0].pattern?.Regex === 'string' && isWordSplitRegex(steps[0].pattern.Regex) && steps[0].invert === false && byteLevel(steps[1]) && steps[1].use_regex === false;
    if (!ok) return null;
    continuation.pre_tokenizer = { ...pre, pretokenizers: [steps[0], { ...steps[1], add_prefix_space: false }] };
    return { shape: { kind: 'words' }, continuation, prefixPerSubsection: steps[1].add_prefix_space === true };
  }
  return null;
}

/** Every pair of adjacent characters inside a vocab entry: a merge can only span a cut whose pair is here. */
function vocabPairs(json: TokenizerJson): Set<string> {
  const vocab = json.model.vocab;
  const keys = Array.isArray(vocab) ? vocab.map(([k]) => k) : Object.keys(vocab ?? {});
  const pairs = new Set<string>();
  for (const k of keys) {
    const chars = [...k];
    for (let i = 1; i < chars.length; i++) pairs.add(chars[i - 1] + '\u0000' + chars[i]);
  }
  return pairs;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
const isGraphic = (c: number) => c > 0x20 && c < 0x7f;
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Finds added tokens the way the library's splitter does: leftmost, longest at each position. */
export class AddedTokenScanner {
  #trie: Record<string, any> = Object.create(null);
  #empty = true;
  constructor(contents: string[]) {
    for (const word of contents) {
      if (!word) continue;
      let node = this.#trie;
      for (const ch of word) node = node[ch] ??= Object.create(null);
      node.end = word;
      this.#empty = false;
    }
  }
  /** [start, end) of every match in text. */
  matches(text: string): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (this.#empty) return out;
    const n = text.length;
    let i = 0;
    while (i < n) {
      let node = this.#trie;
      let match: string | null = null;
      let j = i;
      while (j < n && (node = node[text[j]])) {
        if (node.end) match = node.end;
        j++;
      }
      if (match) {
        out.push([i, i + match.length]);
        i += match.length;
      } else i++;
    }
    return out;
  }
}

/** Raw-text forms of a normalized added token (e.g. LLaMA-2's "<s>" normalizes to "▁<s>" = " <s>"). */
function rawForms(t: AddedTokenJson): string[] {
  const forms = new Set([t.content, t.content.trim(), t.content.replaceAll('\u2581', ' ').trim()]);
  forms.delete('');
  return [...forms];
}

/**
 * Cuts `text` into pieces of about `target` characters (never inside an added token, never where the
 * tokenizer could look across). Returns null when it cannot be cut exactly; the caller encodes it whole.
 */
export function planPieces(text: string, json: TokenizerJson, analysis: NonNullable<ReturnType<typeof analyse>>, target: number, maxPiece = MAX_PIECE_CHARS): Iterable<Piece> | null {
  const raw = json.added_tokens.filter((t) => !t.normalized);
  const normalized = json.added_tokens.filter((t) => t.normalized);
  const normalizedForms = normalized.flatMap(rawForms);
  // With a prefix that the library adds per subsection, a normalized added token inside a continuation
  // piece would change the result; such texts are rare, so they are simply encoded whole.
  if (analysis.prefixPerSubsection && normalizedForms.some((f) => text.includes(f))) return null;
  const forced = new AddedTokenScanner(raw.map((t) => t.content)).matches(text);
  // Positions a cut must not take: strictly inside any occurrence of an added token's text.
  const blocked = new Uint8Array(text.length + 1);
  for (const f of [...normalizedForms, ...raw.map((t) => t.content)]) {
    for (let k = text.indexOf(f); k >= 0; k = text.indexOf(f, k + 1)) blocked.fill(1, k + 1, k + f.length);
  }
  const shape = analysis.shape;
  const space = shape.kind === 'pairs' ? shape.map(' ') : ' ';
  const cutOk = (p: number): boolean => {
    if (text.charCodeAt(p) !== 0x20 || !isGraphic(text.charCodeAt(p - 1)) || !isLetter(text.charCodeAt(p + 1))) return false;
    if (shape.kind === 'pairs' && shape.pairs.has(shape.map(text[p - 1]) + '\u0000' + space)) return false;
    return blocked[p] === 0;
  };
  /** Where a piece that found no allowed cut within maxPiece characters is cut anyway. */
  const forcedCut = (start: number, end: number): number => {
    const lo = start + Math.max(1, maxPiece >> 1);
    if (shape.kind === 'pairs') {
      // No vocab entry spans the pair: exact for BPE without a pre-tokenizer.
      for (let p = end; p > lo; p--) if (blocked[p] === 0 && !isLowSurrogate(text.charCodeAt(p)) && !shape.pairs.has(shape.map(text[p - 1]) + '\u0000' + shape.map(text[p]))) return p;
    }
    for (let p = end; p > lo; p--) if (blocked[p] === 0 && !isLowSurrogate(text.charCodeAt(p))) return p;
    return end;
  };

  // Lazily: a large corpus has millions of pieces, and maxTokens may stop the caller early.
  return (function* (): Generator<Piece> {
    let start = 0;
    let continuation = false;
    for (let f = 0; f <= forced.length; f++) {
      // A section runs up to the next raw added token (or the end), which then starts a fresh piece.
      const sectionEnd = f < forced.length ? forced[f][0] : text.length;
      for (let p = start + target; p < sectionEnd - 1;) {
        const forced = p - start >= maxPiece;
        if (forced || cutOk(p)) {
          const end = forced ? forcedCut(start, p) : p;
          yield { start, end, continuation };
          start = end;
          continuation = true;
          p = start + target;
        } else p++;
      }
      if (sectionEnd > start) yield { start, end: sectionEnd, continuation };
      start = sectionEnd;
      continuation = false;
    }
  })();
}
