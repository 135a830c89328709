// Regexes from a downloaded tokenizer.json (normalizer / pre-tokenizer / decoder patterns) run on every text
// we encode, in V8's backtracking engine, which cannot be interrupted. A pattern such as `.*.*.*.*.*=x`
// takes O(n⁵) steps on a line without "=": a 3 KB text would block the process for hours. So before a
// tokenizer is used, each of its patterns must pass two checks:
// 1. shape: no backreferences, no repetition of something that itself repeats without bound (`(a+)+`), and
//    at most two unbounded repetitions in one sequence (real tokenizers have at most two, e.g. Llama-3's
//    ` ?[^\s\p{L}\p{N}]+[\r\n]*`);
// 2. growth: run with global search on adversarial texts of doubling length (runs of one character, and
//    of every literal the pattern names); what still grows faster than about n·log n, or costs more than
//    1.5 s of CPU to check at all, is refused. Times are CPU times, so a busy machine does not refuse a
//    real tokenizer.
// Inputs the tokenizer sees are also bounded in length (tokenizer-pieces cuts long texts), so what passes
// here stays fast where it runs.

export interface RegexVerdict {
  ok: boolean;
  reason?: string;
}

/** Repetition counts above this are treated as unbounded (`.{0,100000}` backtracks like `.*`). */
const LARGE_REPEAT = 64;

interface Scan {
  /** The group contains an unbounded repetition somewhere inside. */
  unbounded: boolean;
  /** … any quantifier at all. */
  repeats: boolean;
  /** … alternatives at its top level. */
  alternates: boolean;
}

/** Shape check: a small recursive-descent scan of the JS regex source (enough to see quantifiers and groups). */
export function regexShapeProblem(source: string): string | null {
  let i = 0;
  const n = source.length;
  let problem: string | null = null;

  function quantifier(): { unbounded: boolean; present: boolean; max: number } {
    const c = source[i];
    if (c === '*' || c === '+') {
      i++;
      if (source[i] === '?' || source[i] === '+') i++;
      return { unbounded: true, present: true, max: Infinity };
    }
    if (c === '?') {
      i++;
      if (source[i] === '?') i++;
      return { unbounded: false, present: true, max: 1 };
    }
    if (c === '{') {
      const m = /^\{(\d*)(,(\d*))?\}/.exec(source.slice(i, i + 40));
      if (m && (m[1] !== '' || m[3])) {
        i += m[0].length;
        if (source[i] === '?') i++;
        const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
        return { unbounded: max > LARGE_REPEAT, present: true, max };
      }
    }
    return { unbounded: false, present: false, max: 1 };
  }

  /** One alternative list up to ')' or the end; returns whether anything inside repeats without bound. */
  function alternatives(depth: number): Scan {
    if (depth > 50) {
      problem = 'groups nested too deeply';
      return { unbounded: true, repeats: true, alternates: true };
    }
    let anyUnbounded = false;
    let repeats = false;
    let alternates = false;
    let inSequence = 0;
    while (i < n && problem === null) {
      const c = source[i];
      if (c === ')') break;
      if (c === '|') {
        i++;
        alternates = true;
        inSequence = 0;
        continue;
      }
      let atomUnbounded = false;
      let atomRepeats = false;
      let atomAlternates = false;
      if (c === '(') {
        i++;
        if (source[i] === '?') {
          i++;
          if (source[i] === ':' || source[i] === '=' || source[i] === '!') i++;
          else if (source[i] === '<' && (source[i + 1] === '=' || source[i + 1] === '!')) i += 2;
          else if (source[i] === '<') {
            const close = source.indexOf('>', i);
            i = close < 0 ? n : close + 1;
          } else {
            // Modifiers such as (?i: … )
            while (i < n && /[a-zA-Z-]/.test(source[i])) i++;
            if (source[i] === ':') i++;
          }
        }
        const inner = alternatives(depth + 1);
        atomUnbounded = inner.unbounded;
        atomRepeats = inner.repeats;
        atomAlternates = inner.alternates;
        if (source[i] === ')') i++;
      } else if (c === '[') {
        i++;
        if (source[i] === '^') i++;
        if (source[i] === ']') i++;
        while (i < n && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
        i++;
      } else if (c === '\\') {
        const next = source[i + 1];
        if (next !== undefined && /[1-9]/.test(next)) problem = 'a backreference';
        if (next === 'k' && source[i + 2] === '<') problem = 'a backreference';
        if ((next === 'p' || next === 'P' || next === 'u' || next === 'x') && source[i + 2] === '{') {
          const close = source.indexOf('}', i);
          i = close < 0 ? n : close + 1;
        } else i += 2;
      } else i++;
      const q = quantifier();
      if (q.present) repeats = true;
      // A group repeated more than once whose inside can match in several ways (a quantifier, or
      // alternatives) backtracks exponentially: (a|a)*, (a?){25}, (\w+\s?)*.
      if (q.present && q.max > 1 && (atomRepeats || atomAlternates)) {
        problem = 'a repeated group whose inside can match in several ways (like (a|a)* or (a+)+)';
        break;
      }
      if (q.unbounded && atomUnbounded) {
        problem = 'a repetition of something that itself repeats (like (a+)+)';
        break;
      }
      if (q.unbounded) {
        inSequence++;
        if (inSequence > 2) {
          problem = 'more than two unbounded repetitions in one sequence (like .*.*.*)';
          break;
        }
      }
      if (q.unbounded || atomUnbounded) anyUnbounded = true;
      if (q.present && !q.unbounded && atomUnbounded) inSequence++;
    }
    return { unbounded: anyUnbounded, repeats, alternates };
  }

  alternatives(0);
  if (problem === null && i < n) problem = 'an unbalanced ")"';
  return problem;
}

/** Literal characters a pattern names (outside escapes), plus the usual suspects, for the probe texts. */
function probeChars(source: string): string[] {
  const chars = new Set<string>(['a', ' ', '0', '\n', '=', '.', 'é', '\t', '-']);
  for (const ch of source) if (/[\p{L}\p{N}\p{P}\p{S} ]/u.test(ch) && !'()[]{}*+?|^$\\'.includes(ch)) chars.add(ch);
  return [...chars].slice(0, 24);
}

/** CPU milliseconds of this process: other processes on a busy machine do not inflate it. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timeMs(re: RegExp, text: string, tries = 2): number {
  let best = Infinity;
  for (let k = 0; k < tries; k++) {
    const t0 = cpuNow();
    re.lastIndex = 0;
    text.replace(re, '');
    const ms = cpuNow() - t0;
    best = Math.min(best, ms);
    if (ms > 5) break;
  }
  return best;
}

/**
 * Growth check: the time of global matching on runs of each probe character at doubling lengths. A linear
 * pattern takes about twice as long per doubling; one that takes over three times as long (confirmed by a
 * second measurement, once times are large enough to trust on a busy machine), or whose time projected to
 * `maxLength` exceeds `budgetMs`, is refused.
 */
export function regexGrowthProblem(re: RegExp, maxLength = 8192, budgetMs = 200, totalBudgetMs = 1500): string | null {
  const start = cpuNow();
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  timeMs(global, 'a b 1 = x'.repeat(4), 1); // compile outside the measurements
  for (const ch of probeChars(re.source)) {
    for (const tail of ['', '\u0000', '!']) {
      const text = (len: number) => ch.repeat(len) + tail;
      // A busy machine (GC, other processes) makes single timings jump: every refusal is re-measured first.
      const superlinear = (len: number) => len > 64 && timeMs(global, text(len), 3) / Math.max(timeMs(global, text(len / 2), 3), 0.05) > 3;
      let previous = 0;
      for (let len = 64; len <= maxLength; len *= 2) {
        // A pattern this expensive to check is too expensive to run on every text.
        if (cpuNow() - start > totalBudgetMs) return 'it is too slow on long runs of characters';
        const ms = timeMs(global, text(len));
        if (previous > 1 && ms / previous > 3 && superlinear(len)) return refusal(ch);
        if (ms > 20 || len === maxLength) {
          const best = timeMs(global, text(len), 3);
          if (best * (maxLength / len) > budgetMs || (best > 1 && superlinear(len))) return refusal(ch);
          break;
        }
        previous = ms;
      }
    }
  }
  return null;
}

const refusal = (ch: string) => `it slows down sharply on long runs of ${JSON.stringify(ch)} (catastrophic backtracking)`;

export function checkUntrustedRegex(source: string, flags = 'gu'): RegexVerdict {
  if (source.length > 10_000) return { ok: false, reason: 'the pattern is over 10,000 characters long' };
  const shape = regexShapeProblem(source);
  if (shape) return { ok: false, reason: `the pattern has ${shape}` };
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch {
    // The library rewrites some Oniguruma syntax before compiling; what no engine accepts fails there.
    return { ok: true };
  }
  const growth = regexGrowthProblem(re);
  return growth ? { ok: false, reason: growth } : { ok: true };
}
