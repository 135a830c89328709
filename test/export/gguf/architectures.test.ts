// GGUF under llama.cpp's own architecture names, run in the real runtime (node-llama-cpp's CPU build): tiny
// random Qwen2 (q/k/v biases, tied embeddings, byte-level BPE) and Phi-3 (fused qkv/gate_up, SentencePiece-style)
// folders from synth, and the family fixtures' tiny Qwen3 (per-head q/k norms, head_dim 32 ≠ 64/4), dense and
// sliced with the uniform rotation. F16 must score within 0.5 % of the app on the same windows and continue
// greedily token for token; the dense model's Q8_0 number is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { exportGguf } from '../../../core/export/gguf/index';
import { chooseArchitecture, GGUF_ARCHITECTURES } from '../../../core/export/gguf/architectures';
import { blockTensors } from '../../../core/export/gguf/block-tensors';
import { verifyGguf } from '../../../core/export/verify-gguf';
import { sliceUniform } from '../../../core/slicegpt/uniform';
import { synthModel } from '../../../core/synth/synth';
import { quietContext } from '../../../core/base/job-context';
import { sharedData } from '../../shared';
import { TINY_PHI3_CONFIG } from '../../fixtures/phi3/make-tiny-phi3';
import { writeTinyFamily } from '../../fixtures/families/tiny-family';

const TINY_QWEN2_CONFIG = join(import.meta.dirname, '..', '..', 'fixtures', 'gguf', 'tiny-qwen2.json');

const synth = (config: string, tokenizer: string) => async (out: string) => (await synthModel(quietContext(), { config, out, seed: 7, tokenizer: sharedData('tokenizers', tokenizer), threads: 0 })).out;
const FAMILIES = [
  { family: 'qwen2', make: synth(TINY_QWEN2_CONFIG, 'gpt2'), slicedArch: 'llama', own: ['attn_q.bias', 'attn_k.bias', 'attn_v.bias', 'attn_q.weight', 'ffn_gate.weight'], tokenizerModel: 'gpt2' },
  { family: 'phi3', make: synth(TINY_PHI3_CONFIG, 'llama-2'), slicedArch: 'llama', own: ['attn_qkv.weight', 'ffn_up.weight'], tokenizerModel: 'llama' },
  { family: 'qwen3', make: (out: string) => writeTinyFamily('qwen3', out), slicedArch: 'qwen3', own: ['attn_q_norm.weight', 'attn_k_norm.weight', 'attn_q.weight'], tokenizerModel: 'llama' },
] as const;

for (const f of FAMILIES) {
  test(`tiny ${f.family} to GGUF: dense under llama.cpp's ${f.family} architecture, a uniform slice as ${f.slicedArch}; F16 within 0.5 % of the app's perplexity with the same greedy tokens in llama.cpp`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `gguf-${f.family}-`));
    try {
      const model = join(dir, f.family);
      await f.make(model);
      const sliced = await sliceUniform(quietContext(), { model, ratio: 0.25, cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0, ep: 'cpu', round: 8, out: join(dir, 'sliced') });
      const report: Record<string, unknown> = {};
      for (const [what, folder, arch] of [
        ['dense', model, f.family],
        ['sliced', sliced.out, f.slicedArch],
      ] as const) {
        const e = await exportGguf(quietContext(), { model: folder, dtype: 'f16', out: join(dir, what) });
        assert.equal(e.architecture, arch);
        const info = await readGgufFileInfo(e.file, { logWarnings: false });
        assert.equal(info.metadata.general.architecture, arch);
        assert.equal(info.metadata.tokenizer.ggml.model, f.tokenizerModel);
        const names = new Set(info.tensorInfo!.map((ti) => ti.name.replace(/^blk\.\d+\./, '')));
        if (what === 'dense') for (const n of f.own) assert.ok(names.has(n), `${n} in ${[...names].join(', ')}`);
        const v = await verifyGguf(e.file, { maxWindows: 2, prompt: 'The tower is 324 metres tall,', maxNewTokens: 12, compare: true, threads: 1 });
        const rel = v.perplexity / v.inApp!.perplexity - 1;
        assert.ok(Math.abs(rel) < 0.005, `${what} F16: llama.cpp ${v.perplexity} vs app ${v.inApp!.perplexity}`);
        assert.deepEqual(v.greedy.ids, v.inApp!.greedy.ids);
        assert.equal(v.greedy.text, v.inApp!.greedy.text);
        report[what] = { arch, width: e.width, f16: { llamaCpp: +v.perplexity.toFixed(3), inApp: +v.inApp!.perplexity.toFixed(3), relPercent: +(rel * 100).toFixed(4) } };
        if (what === 'dense') {
          const q8 = await exportGguf(quietContext(), { model: folder, dtype: 'q8_0', out: join(dir, what) });
          const vq = await verifyGguf(q8.file, { maxWindows: 2, maxNewTokens: 1, compare: true, threads: 1 });
          assert.ok(Number.isFinite(vq.perplexity));
          report.q8_0 = { llamaCpp: +vq.perplexity.toFixed(3), relPercent: +((vq.perplexity / vq.inApp!.perplexity - 1) * 100).toFixed(4) };
        }
      }
      t.diagnostic(JSON.stringify(report));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("the architecture choice and qwen3's rows: per-head q/k norms (head_dim wide), unpermuted q/k rows, and a slice keeps the qwen3 architecture (its q/k sizes allow d < heads × head_dim)", () => {
  const at = { width: 48, attentionWidth: 64, qkvBias: false, oBias: false, mlpBias: false };
  assert.equal(chooseArchitecture('qwen3', at).arch.id, 'qwen3');
  assert.equal(chooseArchitecture('qwen3', at).why, null);
  assert.equal(chooseArchitecture('qwen2', at).arch.id, 'llama');
  assert.match(chooseArchitecture('phi3', at).why!, /phi3 graph sizes attention as n_embd × n_embd.*48.*64: written as architecture llama/);
  assert.equal(chooseArchitecture('phi3', { ...at, width: 64 }).arch.id, 'phi3');
  const rows = blockTensors(GGUF_ARCHITECTURES.qwen3, 3, { width: 48, heads: 4, kvHeads: 2, headDim: 16, intermediate: 96 }, { qkv: false, o: false, mlp: false }, () => new Float32Array(0)).map(
    (x) => `${x.name} ${x.rows}${x.cols === undefined ? '' : `×${x.cols}`}`,
  );
  assert.deepEqual(rows, [
    'blk.3.attn_norm.weight 48',
    'blk.3.attn_q.weight 64×48',
    'blk.3.attn_k.weight 32×48',
    'blk.3.attn_v.weight 32×48',
    'blk.3.attn_q_norm.weight 16',
    'blk.3.attn_k_norm.weight 16',
    'blk.3.attn_output.weight 48×64',
    'blk.3.ffn_norm.weight 48',
    'blk.3.ffn_gate.weight 96×48',
    'blk.3.ffn_up.weight 96×48',
    'blk.3.ffn_down.weight 48×96',
  ]);
});
