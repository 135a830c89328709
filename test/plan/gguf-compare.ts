// The planner's GGUF tensor list (plan/gguf-tensors.ts) against the exporter's (export/gguf ggufExportTensors, no
// file written): the same names, types and bytes, and the planner's weight bytes their sum.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ggufExportTensors } from '../../core/export/gguf/index';
import { GgmlType, tensorBytes } from '../../core/export/gguf/constants';
import { ggufTensors } from '../../core/plan/gguf-tensors';
import { FORMATS } from '../../core/plan/formats';
import { weightBytes } from '../../core/plan/memory';
import { denseShapes, slicedShapes } from '../../core/plan/params';
import { parseConfig, type ModelConfig } from '../../core/model/config';
import { publishedConfigPath } from '../fixtures/families/tiny-family';

/** A published config kept in test/fixtures/families/published. */
export const fixture = (file: string): ModelConfig => parseConfig(JSON.parse(readFileSync(publishedConfigPath(file), 'utf8')));

/** Per GGUF name: the planner's type and bytes, the exporter's type and bytes. */
export function compare(c: ModelConfig, dtype: 'q8_0' | 'q4_0' | 'q4_k_m' | 'q5_k_m', o: { width: number; sliced: boolean }) {
  const shapes = o.sliced ? slicedShapes(c, { ratio: 1 - (o.width + 0.5) / c.hiddenSize, round: 1, rotation: 'uniform' }) : denseShapes(c);
  const planned = ggufTensors(shapes, dtype)!;
  const exported = ggufExportTensors(c, { width: o.width, sliced: o.sliced, dtype });
  assert.deepEqual(planned.map((t) => t.name).sort(), exported.map((t) => t.name).sort(), 'the same tensors');
  const byName = new Map(exported.map((t) => [t.name, t]));
  for (const p of planned) {
    const e = byName.get(p.name)!;
    assert.equal(p.type.toUpperCase(), GgmlType[e.type], `${p.name}: planned ${p.type}, exported ${GgmlType[e.type]}`);
    assert.equal(
      p.bytes,
      tensorBytes(
        e.type,
        e.ne.reduce((a, b) => a * b, 1),
      ),
      `${p.name} bytes`,
    );
  }
  const exportedBytes = exported.reduce(
    (a, t) =>
      a +
      tensorBytes(
        t.type,
        t.ne.reduce((x, y) => x * y, 1),
      ),
    0,
  );
  assert.equal(weightBytes(shapes, FORMATS[dtype]).total, exportedBytes, 'planned weight bytes = the exporter tensor bytes');
  const types = (suffix: string) => {
    const n: Record<string, number> = {};
    for (const t of exported) if (t.name.endsWith(suffix)) n[GgmlType[t.type]] = (n[GgmlType[t.type]] ?? 0) + 1;
    return n;
  };
  return { types, byName, exportedBytes };
}
