// What cannot go to GGUF fails at once with one line that says what to do, and leaves no file behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGguf, GgufExportError, GgufUnsupportedError } from '../../core/export/gguf/index';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { sliceUniform } from '../../core/slicegpt/uniform';
import { CancelledError, quietContext } from '../../core/base/job-context';
import { SHARED_MODELS } from '../shared';

const SHARED = SHARED_MODELS;
const cal = { cal: 'wikitext2', nsamples: 2, seqlen: 128, sampling: 'first' as const, seed: 0, ep: 'cpu' as const };

test('GGUF export refuses per-layer slices (shortcut matrices), families without a llama.cpp architecture, Q8_0/Q4_0 widths that are not multiples of 32 and unknown dtypes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-errors-'));
  try {
    const model = join(SHARED, 'tiny-stories');
    const perLayer = join(dir, 'per-layer');
    await sliceModel(quietContext(), { ...cal, model, ratio: 0.25, round: 8, sliceHead: false, out: perLayer, resume: false });
    await assert.rejects(exportGguf(quietContext(), { model: perLayer, dtype: 'f16', out: join(dir, 'out') }), (e: Error) => {
      assert.ok(e instanceof GgufUnsupportedError);
      assert.match(e.message, /per-layer rotations.*--rotation uniform/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    const uniform48 = join(dir, 'uniform-48');
    const s = await sliceUniform(quietContext(), { ...cal, model, ratio: 0.25, round: 8, out: uniform48 });
    assert.equal(s.d, 48);
    for (const dtype of ['q8_0', 'q4_0'] as const) await assert.rejects(exportGguf(quietContext(), { model: uniform48, dtype, out: join(dir, 'out') }), /multiple of 32, but it is 48; slice with --round 32/);
    await assert.rejects(
      exportGguf(quietContext(), { model: join(SHARED, 'tiny-opt'), dtype: 'f16', out: join(dir, 'out') }),
      (e: Error) => e instanceof GgufUnsupportedError && /families llama, mistral, qwen2, phi3, qwen3; .* is opt \(export it as ONNX/.test(e.message),
    );
    // No matrix of a 48-wide slice of tiny-stories can hold 256-weight blocks: refused, with the type that fits
    await assert.rejects(
      exportGguf(quietContext(), { model: uniform48, dtype: 'q4_k_m', out: join(dir, 'out') }),
      (e: Error) => e instanceof GgufExportError && /^q4_k_m needs matrix rows in multiples of 256, and none of this model's has them \(residual width 48, MLP width 172, attention width 64\); nearest valid choice: --dtype f16$/.test(e.message),
    );
    await assert.rejects(
      exportGguf(quietContext(), { model, dtype: 'q3_k' as never, out: join(dir, 'out') }),
      (e: Error) => e instanceof GgufExportError && /--dtype must be one of f32, f16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m, q5_k_m/.test(e.message),
    );
    assert.ok(!existsSync(join(dir, 'out')) || readdirSync(join(dir, 'out')).length === 0, 'nothing written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cancelled GGUF export leaves neither the file nor its temporary behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-cancel-'));
  try {
    const ac = new AbortController();
    let tensors = 0;
    const ctx = { ...quietContext(ac.signal), progress: (p: { phase: string }) => p.phase === 'write' && ++tensors === 10 && ac.abort() };
    await assert.rejects(exportGguf(ctx, { model: join(SHARED, 'tiny-llama'), dtype: 'q8_0', out: join(dir, 'x.gguf') }), CancelledError);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
