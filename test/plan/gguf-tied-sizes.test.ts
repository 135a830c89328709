// A dense model with tied embeddings goes to GGUF as token_embd alone (no output.weight), and llama.cpp's
// quantizer then types token_embd by the output rule (src/llama-quant.cpp: has_tied_embeddings stays true until
// an output.weight is seen; "category == OUTPUT || (has_tied_embeddings && category == TOKEN_EMBD)"): Q6_K in
// Q4_K_M/Q5_K_M when its rows fill 256-weight blocks, Q8_0 when they do not; the pure K-quants keep their one type.
// The planner sizes the file the same way: its per-tensor types equal those node-llama-cpp's own GGUF reader finds
// in the written file, and its weight bytes the written tensor bytes; llama.cpp loads the file and scores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { exportGguf } from '../../core/export/gguf/index';
import { verifyGguf } from '../../core/export/verify-gguf';
import { GgmlType, type GgufDtype } from '../../core/export/gguf/constants';
import { ggufTensors } from '../../core/plan/gguf-tensors';
import { FORMATS } from '../../core/plan/formats';
import { weightBytes } from '../../core/plan/memory';
import { denseShapes } from '../../core/plan/params';
import { parseConfig } from '../../core/model/config';
import { quietContext } from '../../core/base/job-context';
import { writeTinyFamily } from '../fixtures/families/tiny-family';
import { sharedModel } from '../shared';
import { compare, fixture } from './gguf-compare';

/** tiny-llama (D = 256) with its config saying tie_word_embeddings: the loader then reads embed_tokens as the head. */
function tiedTinyLlama(dir: string): string {
  const out = join(dir, 'tiny-llama-tied');
  cpSync(sharedModel('tiny-llama'), out, { recursive: true });
  const c = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...c, tie_word_embeddings: true }, null, 2));
  return out;
}

async function plannedAsWritten(t: { diagnostic(s: string): void }, model: string, dir: string, dtype: GgufDtype & keyof typeof FORMATS) {
  const shapes = denseShapes(parseConfig(JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'))));
  const e = await exportGguf(quietContext(), { model, dtype, out: join(dir, `${dtype}.gguf`) });
  const info = await readGgufFileInfo(e.file, { logWarnings: false, readTensorInfo: true });
  const read = new Map(info.tensorInfo!.map((ti) => [ti.name, GgmlType[ti.ggmlType as number]]));
  const planned = ggufTensors(shapes, dtype)!;
  assert.deepEqual(planned.map((p) => p.name).sort(), [...read.keys()].sort(), `${dtype}: the planned tensors are the file's`);
  for (const p of planned) assert.equal(p.type.toUpperCase(), read.get(p.name), `${dtype} ${p.name}`);
  const bytes = weightBytes(shapes, FORMATS[dtype]);
  assert.equal(bytes.total, e.tensorBytes, `${dtype}: planned weight bytes = written tensor bytes`);
  assert.equal(bytes.tiedHeadCopy, planned.find((p) => p.name === 'token_embd.weight')!.bytes, `${dtype}: a copy of the head elsewhere is token_embd in its own type`);
  t.diagnostic(`${dtype}: token_embd ${read.get('token_embd.weight')}, planned ${bytes.total} B = written ${e.tensorBytes} B`);
  return { e, token: read.get('token_embd.weight') };
}

test('tied tiny-llama (D = 256) to GGUF: token_embd Q6_K in Q4_K_M and Q5_K_M, Q8_0 in Q4_0, Q4_K in pure Q4_K; no output.weight; planned types and bytes are the written ones; llama.cpp loads and scores the Q4_K_M file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-tied-'));
  try {
    const model = tiedTinyLlama(dir);
    const want = { q4_k_m: 'Q6_K', q5_k_m: 'Q6_K', q4_0: 'Q8_0', q8_0: 'Q8_0', q4_k: 'Q4_K' } as const;
    for (const [dtype, token] of Object.entries(want) as [keyof typeof want, string][]) {
      const r = await plannedAsWritten(t, model, dir, dtype);
      assert.equal(r.token, token, dtype);
    }
    const v = await verifyGguf(join(dir, 'q4_k_m.gguf'), { source: model, maxWindows: 1, maxNewTokens: 1, threads: 1 });
    assert.ok(Number.isFinite(v.perplexity) && v.perplexity > 1, `llama.cpp perplexity ${v.perplexity}`);
    t.diagnostic(`llama.cpp on the tied Q4_K_M file: perplexity ${v.perplexity.toFixed(2)} (1 window)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tied tiny Llama-3.2 (D = 64) in Q4_K_M: token_embd rows miss 256, so the output rule gives Q8_0 (not a fallback); planned as written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-tied-32-'));
  try {
    const model = await writeTinyFamily('llama-3.2', join(dir, 'llama-3.2'));
    const r = await plannedAsWritten(t, model, dir, 'q4_k_m');
    assert.equal(r.token, 'Q8_0');
    assert.equal(
      r.e.fallbacks.some((f) => f.tensor === 'token_embd.weight'),
      false,
      'Q8_0 is what the rule asked for',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a uniform slice of tied Llama-3.2-1B is written with token_embd and output.weight of width d (the head has the final norm folded in), each in its own rule — planned as exported', () => {
  const { byName } = compare(fixture('llama-3.2-1b.json'), 'q4_k_m', { width: 1536, sliced: true });
  assert.deepEqual(byName.get('token_embd.weight')!.ne, [1536, 128256]);
  assert.deepEqual(byName.get('output.weight')!.ne, [1536, 128256]);
  assert.equal(GgmlType[byName.get('token_embd.weight')!.type], 'Q4_K');
  assert.equal(GgmlType[byName.get('output.weight')!.type], 'Q6_K');
});
