// Llama-3.x to GGUF as llama.cpp's converter writes it, run in the real runtime (node-llama-cpp's CPU build):
// the family fixtures' tiny Llama-3.1 (untied) and Llama-3.2 (tied embeddings, explicit head_dim), whose
// original context is cut to 64 positions so rope_type llama3's rescaled frequencies act within a 256-token
// window. rope_freqs.weight must carry the converter's factors; F16 scores within 0.5 % of the app and continues
// greedily token for token, dense and uniformly sliced; the same weights without rope_freqs land more than 2.5×
// farther from the app's perplexity (so the factors, not luck, make the match). Q8_0 and Q4_K_M are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { exportGguf } from '../../../core/export/gguf/index';
import { llama3RopeFactors } from '../../../core/export/gguf/rope-freqs';
import { verifyGguf } from '../../../core/export/verify-gguf';
import { sliceUniform } from '../../../core/slicegpt/uniform';
import { quietContext } from '../../../core/base/job-context';
import { writeTinyFamily, type TinyFamily } from '../../fixtures/families/tiny-family';

const FAMILIES: { family: TinyFamily; tied: boolean; kquant: boolean }[] = [
  { family: 'llama-3.1', tied: false, kquant: false },
  { family: 'llama-3.2', tied: true, kquant: true },
];

test("the llama3 rope factors are convert_hf_to_gguf.py's: 1 for short wavelengths, `factor` for long ones, the smooth band between (Llama-3.1-8B's published settings)", () => {
  const f = llama3RopeFactors(500000, 128, { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
  assert.equal(f.length, 64);
  assert.equal(f[0], 1);
  assert.equal(f[63], 8);
  // wavelength 2π·500000^(2i/128) crosses 8192/4 = 2048 and 8192/1 at i = 31…41: the band in between interpolates.
  const band = [...f].map((x, i) => [i, x] as const).filter(([, x]) => x !== 1 && x !== 8);
  assert.ok(band.length > 0 && band.every(([, x]) => x > 1 && x < 8), JSON.stringify(band));
  for (let i = 1; i < f.length; i++) assert.ok(f[i] >= f[i - 1], `factors rise with the wavelength (pair ${i})`);
});

for (const f of FAMILIES) {
  test(`tiny ${f.family} to GGUF: rope_freqs.weight from rope_type llama3${f.tied ? ', the tied head as token_embd alone' : ''}; dense and a uniform slice in F16 within 0.5 % of the app with the same greedy tokens, and farther off without rope_freqs`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `gguf-${f.family}-`));
    try {
      const model = await writeTinyFamily(f.family, join(dir, f.family));
      const cfg = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
      const s = cfg.rope_scaling;
      const expected = llama3RopeFactors(cfg.rope_theta, cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads, {
        factor: s.factor,
        lowFreqFactor: s.low_freq_factor,
        highFreqFactor: s.high_freq_factor,
        originalMaxPositions: s.original_max_position_embeddings,
      });
      const sliced = await sliceUniform(quietContext(), { model, ratio: 0.25, cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0, ep: 'cpu', round: 8, out: join(dir, 'sliced') });
      const report: Record<string, unknown> = {};
      const prompt = 'The tower is 324 metres tall, about the same height as an 81-storey building,';
      for (const [what, folder] of [
        ['dense', model],
        ['sliced', sliced.out],
      ] as const) {
        const e = await exportGguf(quietContext(), { model: folder, dtype: 'f16', out: join(dir, what) });
        assert.equal(e.architecture, 'llama');
        const info = await readGgufFileInfo(e.file, { logWarnings: false, readTensorInfo: true });
        const names = info.tensorInfo!.map((ti) => ti.name);
        assert.ok(names.includes('rope_freqs.weight'), names.join(', '));
        assert.equal(names.includes('output.weight'), !(f.tied && what === 'dense'), `output.weight written for ${what}: ${!(f.tied && what === 'dense')}`);
        assert.equal(
          Object.keys(info.metadata.llama ?? {}).some((k) => k.startsWith('rope.scaling')),
          false,
          'no rope.scaling.* key for llama3 (the converter writes none)',
        );
        const v = await verifyGguf(e.file, { maxWindows: 2, prompt, maxNewTokens: 12, compare: true, threads: 1 });
        const rel = v.perplexity / v.inApp!.perplexity - 1;
        assert.ok(Math.abs(rel) < 0.005, `${what} F16: llama.cpp ${v.perplexity} vs app ${v.inApp!.perplexity}`);
        assert.deepEqual(v.greedy.ids, v.inApp!.greedy.ids);
        report[what] = { width: e.width, f16: { llamaCpp: +v.perplexity.toFixed(3), inApp: +v.inApp!.perplexity.toFixed(3), relPercent: +(rel * 100).toFixed(4) } };
        if (what !== 'dense') continue;
        for (const dtype of ['q8_0', 'q4_k_m'] as const) {
          if (dtype === 'q4_k_m' && !f.kquant) {
            // Llama-3.1's tiny widths (64, 224) hold no 256-element row: the K-quant is refused with the nearest choice.
            await assert.rejects(exportGguf(quietContext(), { model: folder, dtype, out: join(dir, what) }), /multiples of 256.*nearest valid choice: --dtype q4_0/);
            continue;
          }
          const q = await exportGguf(quietContext(), { model: folder, dtype, out: join(dir, what) });
          const vq = await verifyGguf(q.file, { maxWindows: 1, maxNewTokens: 1, compare: true, threads: 1 });
          assert.ok(Number.isFinite(vq.perplexity));
          report[dtype] = { llamaCpp: +vq.perplexity.toFixed(3), relPercent: +((vq.perplexity / vq.inApp!.perplexity - 1) * 100).toFixed(4), bitsPerWeight: +q.bitsPerWeight.toFixed(3), types: q.tensorTypes };
        }
        // The same weights with rope_scaling removed: the file lacks only rope_freqs; scored against the llama3 app.
        const plain = join(dir, 'no-rope-freqs');
        cpSync(model, plain, { recursive: true });
        writeFileSync(join(plain, 'config.json'), JSON.stringify({ ...cfg, rope_scaling: null }));
        const p = await exportGguf(quietContext(), { model: plain, dtype: 'f16', out: join(dir, 'plain') });
        const vp = await verifyGguf(p.file, { source: model, maxWindows: 2, prompt, maxNewTokens: 4, compare: true, threads: 1 });
        const off = vp.perplexity / vp.inApp!.perplexity - 1;
        report.withoutRopeFreqs = { llamaCpp: +vp.perplexity.toFixed(3), relPercent: +(off * 100).toFixed(4), sameGreedy: vp.greedy.ids.join() === vp.inApp!.greedy.ids.join() };
        // Random weights attend almost uniformly, so position moves perplexity only in the 5th digit; llama.cpp's
        // numbers are deterministic at one thread, and the file without the factors lands 4.5× (3.1) and 2.7× (3.2)
        // farther from the app than the file with them.
        assert.ok(Math.abs(off) > 2.5 * Math.abs(rel), `without rope_freqs llama.cpp is ${off * 100} % off the app, with them ${rel * 100} %: the fixture does not pin the factors`);
      }
      t.diagnostic(JSON.stringify(report));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
