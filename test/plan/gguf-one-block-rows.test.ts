// A Q8_0/Q4_0 matrix whose rows are a single 32-weight block is written F16 (plan/gguf-types.ts oneBlockRow):
// llama.cpp's AMX kernels multiply such matrices wrongly in batches of ≥ 32 tokens (docs/DECISIONS.md). The rule
// as the planner and exporter share it, then in a real width-32 slice's file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { ggufTensorDtype } from '../../core/plan/gguf-types';
import { exportGguf } from '../../core/export/gguf/index';
import { sliceUniform } from '../../core/slicegpt/uniform';
import { quietContext } from '../../core/base/job-context';
import { sharedModel } from '../shared';

const tiny = { arch: 'llama', layers: 5, heads: 8, kvHeads: 4, tiedOutput: false } as const;

test('q8_0 and q4_0 rows of one 32-weight block are typed F16 (wanted stays the quant type); rows of two blocks keep it', () => {
  assert.deepEqual(ggufTensorDtype('q8_0', 'blk.0.attn_v.weight', 32, tiny), { wanted: 'q8_0', type: 'f16' });
  assert.deepEqual(ggufTensorDtype('q4_0', 'blk.0.ffn_up.weight', 32, tiny), { wanted: 'q4_0', type: 'f16' });
  assert.deepEqual(ggufTensorDtype('q4_0', 'output.weight', 32, tiny), { wanted: 'q8_0', type: 'f16' });
  assert.deepEqual(ggufTensorDtype('q8_0', 'blk.0.attn_v.weight', 64, tiny), { wanted: 'q8_0', type: 'q8_0' });
  assert.deepEqual(ggufTensorDtype('q4_0', 'blk.0.ffn_up.weight', 64, tiny), { wanted: 'q4_0', type: 'q4_0' });
});

test("a K-quant's row fallback that lands on Q8_0 with one-block rows is F16; one that lands on Q5_0 (no AMX kernel) stays", () => {
  // Q5_K_M: attn_v of layer 2 (use_more_bits of 5 layers) wants Q6_K, whose 256-blocks do not fit 32: Q8_0, one block a row → F16.
  assert.deepEqual(ggufTensorDtype('q5_k_m', 'blk.2.attn_v.weight', 32, tiny), { wanted: 'q6_k', type: 'f16' });
  // Q4_K_M: ffn_gate wants Q4_K → Q5_0 at 32, which llama.cpp's AMX backend does not take.
  assert.deepEqual(ggufTensorDtype('q4_k_m', 'blk.0.ffn_gate.weight', 32, tiny), { wanted: 'q4_k', type: 'q5_0' });
});

test('a tiny-stories slice at width 32 exported Q8_0 holds its width-32 rows as F16 and its 64-wide attn_output rows as Q8_0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-one-block-'));
  try {
    const s = await sliceUniform(quietContext(), { model: sharedModel('tiny-stories'), ratio: 0.25, cal: 'wikitext2', nsamples: 8, seqlen: 256, sampling: 'first', seed: 0, ep: 'cpu', round: 32, out: join(dir, 'r32') });
    assert.equal(s.d, 32);
    const e = await exportGguf(quietContext(), { model: s.out, dtype: 'q8_0', out: join(dir, 'q8.gguf') });
    const info = await readGgufFileInfo(e.file, { readTensorInfo: true });
    const matrices = (info.fullTensorInfo ?? []).filter((t) => t.dimensions.length === 2);
    const F16 = 1;
    const Q8_0 = 8;
    for (const t of matrices) {
      const ne0 = Number(t.dimensions[0]);
      const expected = ne0 === 64 ? Q8_0 : F16; // ffn_down's 172-long rows are F16 as before (not a multiple of 32)
      assert.equal(t.ggmlType, expected, `${t.name} (rows of ${ne0})`);
    }
    assert.equal(matrices.filter((t) => t.ggmlType === Q8_0).length, 5, 'one attn_output per layer');
    assert.ok(e.fallbacks.some((f) => f.tensor === 'blk.0.attn_v.weight' && f.wanted === 'Q8_0' && f.type === 'F16' && f.rowLength === 32));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
