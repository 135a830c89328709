// A run's fingerprint identifies "the same work": the model (path + parameter count, so a replaced folder
// differs), the calibration/eval data and every setting. Keys are sorted so field order never matters.
import { createHash } from 'node:crypto';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

export function runFingerprint(parts: { model: unknown; data?: unknown; settings?: unknown }): string {
  const text = JSON.stringify(canonical({ model: parts.model, data: parts.data ?? null, settings: parts.settings ?? null }));
  return createHash('sha256').update(text).digest('hex');
}
