// Mutations of valid seed files: byte flips, truncation, splices of hostile strings, and — for JSON — value
// swaps that keep the file parseable but put the wrong type, an extreme number, null, a path traversal or a
// huge string where a parser expects something sane. Deterministic from the PRNG, so a seed and an index
// name one input everywhere.

export type Rng = () => number;

export const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)];

/** Values that break parsers: wrong types, extremes, nulls, path traversal, huge strings, deep nesting. */
export function hostileValue(rng: Rng): unknown {
  const values: Array<() => unknown> = [
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => -8,
    () => 1,
    () => 3,
    () => 0.5,
    () => 2 ** 31,
    () => 2 ** 31 - 1,
    () => 2 ** 32,
    () => 2 ** 53 + 2,
    () => 1e12,
    () => 1e308,
    () => -1e308,
    () => 100_000,
    () => 1e-320,
    () => '',
    () => 'a',
    () => '.',
    () => '..',
    () => '/',
    () => '../../../../etc/passwd',
    () => '/etc/passwd',
    () => '../secret.safetensors',
    () => 'sub/../../secret.safetensors',
    () => 'C:\\Windows\\win.ini',
    () => 'a\u0000b',
    () => 'line\nbreak',
    () => '\ud800',
    () => '.*.*.*.*.*=x',
    () => '(a|a)*b',
    () => 'x'.repeat(1 + int(rng, 20_000)),
    () => '12',
    () => [],
    () => {},
    () => [1, 2, 3],
    () => ({ a: 1 }),
    () => ({ content: 5 }),
    () => ({ Regex: '.*.*.*.*.*=x' }),
    () => ({ Regex: '(a+)+$' }),
    () => nested(1 + int(rng, 1500)),
    () => new Array(int(rng, 2000)).fill(0),
  ];
  return pick(rng, values)();
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Every container path in a JSON value (bounded, so huge vocabularies do not make this slow). */
function paths(root: unknown, rng: Rng, limit = 4000): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const stack: Array<[unknown, Array<string | number>]> = [[root, []]];
  while (stack.length && out.length < limit) {
    const [v, p] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const keys: Array<string | number> = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    // Sample large containers instead of walking all of them.
    const chosen = keys.length > 64 ? Array.from({ length: 64 }, () => pick(rng, keys)) : keys;
    for (const k of chosen) {
      const child = (v as Record<string | number, unknown>)[k];
      out.push([...p, k]);
      if (child !== null && typeof child === 'object') stack.push([child, [...p, k]]);
    }
  }
  return out;
}

function get(root: unknown, p: Array<string | number>): unknown {
  let v = root;
  for (const k of p) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** Applies one JSON-level mutation in place (the root itself may be replaced: returned). */
export function mutateJson(root: unknown, rng: Rng, hints: readonly string[] = []): { root: unknown; what: string } {
  const all = paths(root, rng);
  if (all.length === 0 || rng() < 0.03) {
    const v = pick(rng, [null, [], 'text', 42, hostileValue(rng)]);
    return { root: v, what: `root := ${brief(v)}` };
  }
  // Prefer the fields a parser reads (its hints) half of the time.
  const hinted = all.filter((p) => hints.includes(String(p[p.length - 1])));
  const path = hinted.length && rng() < 0.5 ? pick(rng, hinted) : pick(rng, all);
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1];
  const old = parent[key];
  const op = int(rng, 10);
  const where = path.map(String).join('.').slice(0, 80);
  if (op <= 4) {
    const v = hostileValue(rng);
    parent[key] = v;
    return { root, what: `${where} := ${brief(v)}` };
  }
  if (op === 5) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
    return { root, what: `delete ${where}` };
  }
  if (op === 6 && typeof old === 'number') {
    const v = pick(rng, [old * 10 ** (1 + int(rng, 12)), -old, old + 1, old - 1, Math.floor(old / 2), old * 1000 + 0.5]);
    parent[key] = v;
    return { root, what: `${where} := ${brief(v)} (was ${brief(old)})` };
  }
  if (op === 7) {
    const other = pick(rng, all);
    const v = get(root, other);
    parent[key] = v === undefined ? null : structuredCloneSafe(v);
    return { root, what: `${where} := value of ${other.map(String).join('.').slice(0, 60)}` };
  }
  if (op === 8 && typeof old === 'string') {
    const v = pick(rng, [Number(old) || 7, [old], { content: old }, old + old, old.slice(1), `../${old}`, '']);
    parent[key] = v;
    return { root, what: `${where} := ${brief(v)} (was a string)` };
  }
  if (!Array.isArray(parent)) {
    const k = pick(rng, ['__proto__', 'constructor', 'extra', ...hints]);
    const v = hostileValue(rng);
    parent[k] = v;
    return { root, what: `add ${k} := ${brief(v)}` };
  }
  const v = hostileValue(rng);
  parent.push(v);
  return { root, what: `append ${brief(v)} to ${where}` };
}

function structuredCloneSafe(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return null;
  }
}

export function brief(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}…(${s.length} chars)` : s;
}

const HOSTILE_BYTES = ['"', '\\', '{', '}', '[', ']', ',', ':', '\u0000', '\n', '../', 'null', '-1', '1e308', '\uffff', '\ud800'];

/** Applies one byte-level mutation to a buffer. */
export function mutateBytes(b: Buffer, rng: Rng): { bytes: Buffer; what: string } {
  const n = b.length;
  const op = int(rng, 8);
  if (n === 0) return { bytes: Buffer.from(pick(rng, HOSTILE_BYTES)), what: 'empty → hostile bytes' };
  if (op === 0) {
    const out = Buffer.from(b);
    const k = 1 + int(rng, 8);
    for (let i = 0; i < k; i++) out[int(rng, n)] ^= 1 << int(rng, 8);
    return { bytes: out, what: `flip ${k} bits` };
  }
  if (op === 1) {
    const at = int(rng, n + 1);
    return { bytes: b.subarray(0, at), what: `truncate at ${at}/${n}` };
  }
  if (op === 2) {
    const at = int(rng, n);
    const s = Buffer.from(pick(rng, HOSTILE_BYTES));
    return { bytes: Buffer.concat([b.subarray(0, at), s, b.subarray(at)]), what: `insert ${brief(s.toString())} at ${at}` };
  }
  if (op === 3) {
    const at = int(rng, n);
    const len = 1 + int(rng, Math.min(64, n - at));
    return { bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + len)]), what: `delete ${len} bytes at ${at}` };
  }
  if (op === 4) {
    const out = Buffer.from(b);
    const at = int(rng, n);
    out[at] = int(rng, 256);
    return { bytes: out, what: `set byte ${at}` };
  }
  if (op === 5) {
    const at = int(rng, n);
    const len = 1 + int(rng, Math.min(256, n - at));
    return { bytes: Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]), what: `duplicate ${len} bytes at ${at}` };
  }
  if (op === 6) {
    // Digits made long: numbers overflow, lengths explode.
    const s = b.toString('latin1');
    const m = [...s.matchAll(/\d+/g)];
    if (m.length) {
      const x = pick(rng, m);
      const rep = pick(rng, ['9'.repeat(20), '0', '-1', '4294967296', '2147483648', '1e400']);
      const at = x.index!;
      return { bytes: Buffer.concat([b.subarray(0, at), Buffer.from(rep, 'latin1'), b.subarray(at + x[0].length)]), what: `number at ${at} := ${rep}` };
    }
  }
  const at = int(rng, n);
  const len = int(rng, 64);
  return { bytes: Buffer.concat([b.subarray(0, at), Buffer.alloc(len, pick(rng, [0, 0x20, 0x41, 0xff])), b.subarray(at)]), what: `insert ${len} filler bytes at ${at}` };
}

/** Mutates a JSON file: mostly value-level (stays parseable), sometimes byte-level. 1–3 stacked. */
export function mutateJsonFile(text: Buffer, rng: Rng, hints: readonly string[] = []): { bytes: Buffer; what: string[] } {
  const what: string[] = [];
  let bytes = text;
  const rounds = 1 + int(rng, 3);
  for (let r = 0; r < rounds; r++) {
    let parsed: unknown;
    let ok = true;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      ok = false;
    }
    if (ok && rng() < 0.85) {
      const m = mutateJson(parsed, rng, hints);
      bytes = Buffer.from(JSON.stringify(m.root) ?? 'null');
      what.push(m.what);
    } else {
      const m = mutateBytes(bytes, rng);
      bytes = m.bytes;
      what.push(m.what);
    }
  }
  return { bytes, what };
}

/** Mutates a text file by lines or bytes. */
export function mutateTextFile(text: Buffer, rng: Rng): { bytes: Buffer; what: string[] } {
  const what: string[] = [];
  let bytes = text;
  const rounds = 1 + int(rng, 3);
  for (let r = 0; r < rounds; r++) {
    if (rng() < 0.4) {
      const lines = bytes.toString('utf8').split('\n');
      const i = int(rng, lines.length);
      const op = int(rng, 4);
      if (op === 0) lines[i] = String(hostileValue(rng) ?? 'null');
      else if (op === 1) lines.splice(i, 1);
      else if (op === 2) lines.splice(i, 0, lines[int(rng, lines.length)] ?? '');
      else lines[i] = `${lines[i]} ${pick(rng, ['x', 'null', '', ' ', 'a b c'])}`;
      bytes = Buffer.from(lines.join('\n'));
      what.push(`line ${i}: op ${op}`);
    } else {
      const m = mutateBytes(bytes, rng);
      bytes = m.bytes;
      what.push(m.what);
    }
  }
  return { bytes, what };
}
