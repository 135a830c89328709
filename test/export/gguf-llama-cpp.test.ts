// GGUF exports run in the real runtime: llama.cpp through node-llama-cpp (prebuilt CPU binaries). Each export's
// WikiText-2 perplexity on the first protocol windows (our token ids) is compared with the in-app number on the
// same windows, and the greedy continuation token for token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGguf } from '../../core/export/gguf/index';
import { verifyGguf } from '../../core/export/verify-gguf';
import { sliceUniform } from '../../core/slicegpt/uniform';
import { quietContext } from '../../core/base/job-context';
import { SHARED_MODELS } from '../shared';

const SHARED = SHARED_MODELS;
const WINDOWS = 4;

test("dense tiny-stories exported to GGUF F16 reproduces Karpathy's stories260K sample through llama.cpp", async (t) => {
  const ref = JSON.parse(readFileSync(join(SHARED, 'reference.json'), 'utf8'))['tiny-stories'].greedy;
  const dir = mkdtempSync(join(tmpdir(), 'gguf-dense-'));
  try {
    const e = await exportGguf(quietContext(), { model: join(SHARED, 'tiny-stories'), dtype: 'f16', out: dir });
    const v = await verifyGguf(e.file, { maxWindows: WINDOWS, prompt: ref.prompt, maxNewTokens: ref.max_new_tokens, compare: true });
    t.diagnostic(JSON.stringify({ bytes: e.bytes, llamaCpp: v.perplexity, inApp: v.inApp!.perplexity, tokenCounts: v.tokenCounts }));
    assert.equal(v.greedy.ids.length, 60);
    assert.equal(v.greedy.text, ref.text);
    assert.equal(v.greedy.llamaCppText, ref.text, "llama.cpp's own detokenizer gives the same text");
    assert.match(v.runtime, /^llama\.cpp \(node-llama-cpp \d+\.\d+\.\d+\)$/);
    // llama.cpp's SentencePiece-style tokenizer always prepends ▁ (add_space_prefix), as tokenizer.json's
    // Prepend normalizer does; transformers 5 (and so the app, core/model/tokenizer-class.ts) adds none where the
    // text already starts with a space, as WikiText-2's does: exactly one token apart, the leading ▁.
    assert.equal(v.tokenCounts.llamaCpp, v.tokenCounts.ours! + 1, 'llama.cpp tokenizes WikiText-2 test like tokenizer.json (one leading ▁ more than transformers 5)');
    assert.ok(Math.abs(v.perplexity / v.inApp!.perplexity - 1) < 0.005, `${v.perplexity} vs ${v.inApp!.perplexity}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [name, prompt] of [
  ['tiny-llama', 'The tower is 324 metres tall,'],
  ['tiny-stories', 'Once upon a time'],
] as const) {
  test(`${name} sliced 25 % with uniform rotation: GGUF F16 in llama.cpp within 0.5 % of the in-app perplexity, same greedy continuation; Q8_0 reported`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `gguf-${name}-`));
    try {
      const base = { model: join(SHARED, name), ratio: 0.25, cal: 'wikitext2', nsamples: 8, seqlen: 256, sampling: 'first' as const, seed: 0, ep: 'cpu' as const };
      // F16 from the protocol's round 8; Q8_0 needs a width that is a multiple of 32 (--round 32).
      const s8 = await sliceUniform(quietContext(), { ...base, round: 8, out: join(dir, 'r8') });
      const s32 = s8.d % 32 === 0 ? s8 : await sliceUniform(quietContext(), { ...base, round: 32, out: join(dir, 'r32') });
      const f16 = await exportGguf(quietContext(), { model: s8.out, dtype: 'f16', out: join(dir, 'gguf') });
      const v = await verifyGguf(f16.file, { maxWindows: WINDOWS, prompt, maxNewTokens: 30, compare: true });
      const q8 = await exportGguf(quietContext(), { model: s32.out, dtype: 'q8_0', out: join(dir, 'gguf') });
      const vq = await verifyGguf(q8.file, { maxWindows: WINDOWS, prompt, maxNewTokens: 30, compare: true });
      const rel = v.perplexity / v.inApp!.perplexity - 1;
      const relQ = vq.perplexity / vq.inApp!.perplexity - 1;
      t.diagnostic(
        JSON.stringify({
          f16: { d: s8.d, bytes: f16.bytes, llamaCpp: +v.perplexity.toFixed(4), inApp: +v.inApp!.perplexity.toFixed(4), relPercent: +(rel * 100).toFixed(4) },
          q8_0: { d: s32.d, bytes: q8.bytes, llamaCpp: +vq.perplexity.toFixed(4), inApp: +vq.inApp!.perplexity.toFixed(4), relPercent: +(relQ * 100).toFixed(4) },
          tokenCounts: v.tokenCounts,
          greedy: v.greedy.text,
        }),
      );
      assert.equal(f16.width, s8.d);
      assert.ok(Math.abs(rel) < 0.005, `F16: llama.cpp ${v.perplexity}, in-app ${v.inApp!.perplexity}`);
      assert.deepEqual(v.greedy.ids, v.inApp!.greedy.ids, `${v.greedy.text}\n≠\n${v.inApp!.greedy.text}`);
      assert.equal(v.greedy.text, v.inApp!.greedy.text);
      assert.ok(q8.bytes < f16.bytes);
      assert.ok(Number.isFinite(vq.perplexity) && Math.abs(relQ) < 0.02, `Q8_0: llama.cpp ${vq.perplexity}, in-app ${vq.inApp!.perplexity}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
