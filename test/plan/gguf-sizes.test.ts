// The planner's weight bytes for a GGUF type are the tensor bytes the exporter writes — the K-quant mixtures'
// per-layer Q6_K tensors and llama.cpp's row fallbacks (tiny-llama's ffn_down rows are 704 long) included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGguf } from '../../core/export/gguf/index';
import type { GgufDtype } from '../../core/export/gguf/constants';
import { FORMATS, type FormatId } from '../../core/plan/formats';
import { weightBytes } from '../../core/plan/memory';
import { denseShapes } from '../../core/plan/params';
import { parseConfig } from '../../core/model/config';
import { quietContext } from '../../core/base/job-context';
import { sharedModel } from '../shared';

test('planner weight bytes equal the written GGUF tensor bytes of tiny-llama for q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m and q5_k_m', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-sizes-'));
  try {
    const model = sharedModel('tiny-llama');
    const shapes = denseShapes(parseConfig(JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'))));
    for (const id of ['q8_0', 'q4_0', 'q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m'] satisfies (FormatId & GgufDtype)[]) {
      const e = await exportGguf(quietContext(), { model, dtype: id, out: dir });
      const planned = weightBytes(shapes, FORMATS[id]).total;
      t.diagnostic(`${id}: planned ${planned} B, written ${e.tensorBytes} B, ${e.bitsPerWeight.toFixed(3)} bpw`);
      assert.equal(planned, e.tensorBytes, id);
      rmSync(e.file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
