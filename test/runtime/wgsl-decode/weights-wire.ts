// Decode weights across the test's page boundary: the object's shape as JSON with every Float32Array
// replaced by {$f32: [offset, length]} into one binary blob (served to the page), and back.

type Wire = { json: string; blob: Uint8Array };

export function toWire(value: unknown): Wire {
  const parts: Float32Array[] = [];
  let floats = 0;
  const json = JSON.stringify(value, (_k, v: unknown) => {
    if (!(v instanceof Float32Array)) return v;
    parts.push(v);
    floats += v.length;
    return { $f32: [floats - v.length, v.length] };
  });
  const all = new Float32Array(floats);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return { json, blob: new Uint8Array(all.buffer) };
}

export function fromWire<T>(json: string, blob: ArrayBuffer): T {
  const all = new Float32Array(blob);
  return JSON.parse(json, (_k, v: unknown) => {
    const r = v as { $f32?: [number, number] } | null;
    return r && typeof r === 'object' && Array.isArray(r.$f32) ? all.subarray(r.$f32[0], r.$f32[0] + r.$f32[1]) : v;
  }) as T;
}
