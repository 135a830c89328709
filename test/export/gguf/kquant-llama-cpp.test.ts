// K-quant GGUF exports in the real runtime: llama.cpp (node-llama-cpp's prebuilt CPU binaries) reads the tensor
// types we planned, loads the file and scores it within the verify tolerance of the in-app perplexity. tiny-llama
// has d = 256 (K-quant blocks fit) but an MLP width of 704, so its ffn_down tensors take llama.cpp's fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { exportGguf } from '../../../core/export/gguf/index';
import { GgmlType } from '../../../core/export/gguf/constants';
import { verifyGguf } from '../../../core/export/verify-gguf';
import { PPL_TOLERANCE } from '../../../core/export/verdict';
import { quietContext } from '../../../core/base/job-context';
import { SHARED_MODELS } from '../../shared';

test('tiny-llama as Q4_K_M and Q6_K GGUF: llama.cpp reads the planned per-tensor types (ffn_down fallen back), loads them, and scores within the tolerance of the app', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-kquant-'));
  try {
    for (const dtype of ['q4_k_m', 'q6_k'] as const) {
      const e = await exportGguf(quietContext(), { model: join(SHARED_MODELS, 'tiny-llama'), dtype, out: dir });
      const info = await readGgufFileInfo(e.file, { logWarnings: false });
      const types = Object.fromEntries(info.tensorInfo!.map((ti) => [ti.name, GgmlType[ti.ggmlType as number]]));
      if (dtype === 'q4_k_m') {
        // 4 layers: use_more_bits picks layers 2 and 3 for Q6_K; ffn_down rows are 704 wide → Q5_0 / Q8_0
        assert.deepEqual(
          [types['output.weight'], types['token_embd.weight'], types['blk.0.attn_v.weight'], types['blk.2.attn_v.weight'], types['blk.0.ffn_down.weight'], types['blk.3.ffn_down.weight'], types['blk.0.attn_q.weight']],
          ['Q6_K', 'Q4_K', 'Q4_K', 'Q6_K', 'Q5_0', 'Q8_0', 'Q4_K'],
        );
        assert.deepEqual(
          e.fallbacks.map((f) => `${f.tensor}:${f.wanted}→${f.type}`),
          ['blk.0.ffn_down.weight:Q4_K→Q5_0', 'blk.1.ffn_down.weight:Q4_K→Q5_0', 'blk.2.ffn_down.weight:Q6_K→Q8_0', 'blk.3.ffn_down.weight:Q6_K→Q8_0'],
        );
      } else
        assert.ok(
          Object.entries(types).every(([n, ty]) => ty === 'F32' || ty === (n.endsWith('ffn_down.weight') ? 'Q8_0' : 'Q6_K')),
          JSON.stringify(types),
        );
      const v = await verifyGguf(e.file, { maxWindows: 4, maxNewTokens: 8, compare: true, threads: 1 });
      const rel = Math.abs(v.perplexity / v.inApp!.perplexity - 1);
      t.diagnostic(JSON.stringify({ dtype, bytes: e.bytes, bitsPerWeight: +e.bitsPerWeight.toFixed(3), llamaCpp: +v.perplexity.toFixed(3), inApp: +v.inApp!.perplexity.toFixed(3), relPercent: +(rel * 100).toFixed(3) }));
      assert.equal(v.dtype, dtype);
      assert.ok(rel <= PPL_TOLERANCE[dtype], `${dtype}: llama.cpp ${v.perplexity} vs app ${v.inApp!.perplexity}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
