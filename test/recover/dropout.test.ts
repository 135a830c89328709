// LoRA input dropout (PEFT's lora_dropout): the masks are seeded per (seed, step, micro-batch, adapter);
// the LoRA linear's backward with a mask still matches central differences; training with dropout
// resumes from a checkpoint to byte-identical merged weights, and differs from training without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradCheck, STEP } from './gradcheck';
import { linear } from '../../core/recover/layers';
import { dropoutMasks, DropoutError } from '../../core/recover/dropout';
import type { LoraAdapter } from '../../core/recover/lora';
import { recoverModel } from '../../core/recover/train';
import { CancelledError, quietContext } from '../../core/base/job-context';
import { filesOf, inTempDir, sliceTiny, small } from './rft-fixtures';

const adapter = (inF: number): LoraAdapter => ({ key: `k${inF}`, layer: 0, role: 'q', inF, outF: 4, A: new Float32Array(2 * inF), B: new Float32Array(8) });

test('dropout masks: entries are 0 or 1/(1−p), about p of them zero, equal for the same (seed, step, micro-batch, adapter) and different otherwise', () => {
  const ads = [adapter(64), adapter(64)];
  const [m0, m1] = dropoutMasks(ads, 256, 0.1, 7, 3, 0);
  assert.ok(m0.every((v) => v === 0 || Math.abs(v - 1 / 0.9) < 1e-6));
  const zeros = m0.filter((v) => v === 0).length / m0.length;
  assert.ok(Math.abs(zeros - 0.1) < 0.01, `zero share ${zeros}`);
  assert.deepEqual(dropoutMasks(ads, 256, 0.1, 7, 3, 0)[0], m0);
  assert.notDeepEqual(m1, m0);
  assert.notDeepEqual(dropoutMasks(ads, 256, 0.1, 7, 4, 0)[0], m0);
  assert.notDeepEqual(dropoutMasks(ads, 256, 0.1, 7, 3, 1)[0], m0);
  assert.notDeepEqual(dropoutMasks(ads, 256, 0.1, 8, 3, 0)[0], m0);
  assert.ok(dropoutMasks(ads, 4, 0, 7, 3, 0)[0].every((v) => v === 1));
  assert.throws(() => dropoutMasks(ads, 4, 1, 7, 3, 0), DropoutError);
});

test('linear with LoRA and a dropout mask on its input: gradients of x, A and B match central differences', async () => {
  const mask = Float64Array.from(dropoutMasks([adapter(6)], 5, 0.3, 1, 0, 0)[0]);
  const err = await gradCheck({ x: { shape: [5, 6] }, W: { shape: [6, 4], trainable: false }, A: { shape: [2, 6] }, B: { shape: [4, 2] }, M: { shape: [5, 6], data: mask, trainable: false } }, (t, v) =>
    linear(t, v.x, { weightInOut: v.W, lora: { A: v.A, B: v.B, scale: 5, dropMask: v.M } }),
  );
  assert.ok(err <= 1e-4, `relative error ${err.toExponential(2)} > 1e-4 (central differences, step ${STEP})`);
});

test('training with dropout 0.1 cancelled after step 2 resumes to byte-identical merged weights, which differ from training without dropout', async () => {
  await inTempDir('ss-rft-dropout-', async (data) => {
    const sliced = sliceTiny(data);
    const o = { ...small(sliced, join(data, 'ref')), dropout: 0.1 };
    await recoverModel(quietContext(), o);
    const out = join(data, 'resumed');
    const ac = new AbortController();
    const ctx = { ...quietContext(ac.signal), progress: (p: { phase: string; data?: Record<string, unknown> }) => p.phase === 'train' && p.data?.step === 2 && ac.abort() };
    await assert.rejects(recoverModel(ctx, { ...o, out }), (e: Error) => e instanceof CancelledError);
    const r = await recoverModel(quietContext(), { ...o, out });
    assert.equal(r.resumedFrom, 2);
    for (const f of filesOf(o.out)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(o.out, f))), `${f} differs from the uninterrupted run's`);
    const adapterConfig = JSON.parse(readFileSync(join(o.out, 'adapter', 'adapter_config.json'), 'utf8')) as { lora_dropout: number };
    assert.equal(adapterConfig.lora_dropout, 0.1);

    const plain = join(data, 'plain');
    await recoverModel(quietContext(), { ...small(sliced, plain) });
    const adapters = join('adapter', 'adapter_model.safetensors');
    assert.ok(!readFileSync(join(plain, adapters)).equals(readFileSync(join(o.out, adapters))), 'dropout changed nothing');
  });
});
