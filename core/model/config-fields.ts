// Reading config.json fields: bounded, and every bad value one ConfigError line that names the key. Shared
// by the parser (config.ts) and the family modules (families/), which read their own keys.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * What a config may say, checked before any arithmetic: far beyond every published model of the supported
 * families (405B: hidden 16,384, 126 layers, MLP 53,248; vocabularies ≤ 262,144), far below what would
 * run the planner or a store row into nonsense (10¹² layers, 0 heads, a hidden size of 1e308).
 */
export const CONFIG_BOUNDS = {
  hiddenSize: [1, 65_536],
  numHeads: [1, 1_024],
  numLayers: [1, 1_000],
  vocabSize: [1, 4_194_304],
  intermediateSize: [1, 1_048_576],
  headDim: [1, 4_096],
  maxPositions: [1, 16_777_216],
} as const satisfies Record<string, readonly [number, number]>;

export const fmtInt = (n: number) => n.toLocaleString('en-US');
export const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : typeof v === 'object' ? (v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object') : String(v));

/**
 * The first of `keys` that is present (null counts as absent), as an integer within bounds; undefined when
 * none is present. A present key with anything else is an error: falling back would hide a broken config.
 */
export function boundedInt(raw: Record<string, unknown>, what: string, [min, max]: readonly [number, number], ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`config.json: ${k} (${what}) is ${shown(v)}; expected a whole number from ${fmtInt(min)} to ${fmtInt(max)}`);
    return v;
  }
  return undefined;
}

export const need = (raw: Record<string, unknown>, what: string, bounds: readonly [number, number], ...keys: string[]): number => {
  const v = boundedInt(raw, what, bounds, ...keys);
  if (v === undefined) throw new ConfigError(`config.json has no ${what} (looked for ${keys.join(', ')})`);
  return v;
};

/** A finite number within (min, max] where given, else the default. */
export function boundedNumber(raw: Record<string, unknown>, what: string, min: number, max: number, fallback: number, ...keys: string[]): number {
  for (const k of keys) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > min && v <= max)) throw new ConfigError(`config.json: ${k} (${what}) is ${shown(v)}; expected a number above ${min} and at most ${max}`);
    return v;
  }
  return fallback;
}

export function objectOrNull(v: unknown, key: string): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`config.json: ${key} is ${shown(v)}; expected an object`);
  return v as Record<string, unknown>;
}

/** A special-token id: an id inside the vocabulary, null when absent or negative (old configs write -1). */
export function tokenId(raw: Record<string, unknown>, key: string, vocabSize: number): number | null {
  const v = raw[key];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return null;
  if (typeof first !== 'number' || !Number.isInteger(first)) throw new ConfigError(`config.json: ${key} is ${shown(v)}; expected a token id`);
  if (first < 0) return null;
  if (first >= vocabSize) throw new ConfigError(`config.json: ${key} ${fmtInt(first)} is outside the vocabulary (vocab_size ${fmtInt(vocabSize)})`);
  return first;
}
