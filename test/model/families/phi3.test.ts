// The phi3 family: the published Phi-3-mini-4k-instruct config inspects and plans, the variants it cannot take
// are refused by name, and the fused qkv_proj / gate_up_proj of a real checkpoint layout split into q, k, v,
// gate and up in the adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, parseConfig } from '../../../core/model/config';
import { countParameters } from '../../../core/model/param-count';
import { openModel } from '../../../core/model/source';
import { SafetensorsModel } from '../../../core/model/safetensors';
import { numel, synthTensors } from '../../../core/synth/layout';
import { tensorNames } from '../../../core/slicegpt/sliced-source';
import { GiB, parseGpuList, plan, readPlanConfig } from '../../../core/plan/index';
import { PHI3_MINI_4K_CONFIG, writeTinyPhi3 } from '../../fixtures/phi3/make-tiny-phi3';

const published = (): Record<string, unknown> => JSON.parse(readFileSync(PHI3_MINI_4K_CONFIG, 'utf8'));

test('Phi-3-mini-4k-instruct counts 3,821,079,552 parameters, in param-count and in synth alike', () => {
  // By hand: embed + lm_head 2·32064·3072 = 197,001,216; per layer qkv 3·3072² + o 3072² + gate_up 2·8192·3072
  // + down 8192·3072 + 2 norms·3072 = 113,252,352, × 32 = 3,624,075,264; final norm 3,072.
  const c = parseConfig(published());
  assert.equal(2 * 32064 * 3072 + 32 * (4 * 3072 * 3072 + 3 * 8192 * 3072 + 2 * 3072) + 3072, 3_821_079_552);
  assert.equal(countParameters(c), 3_821_079_552);
  assert.equal(
    synthTensors(c).reduce((a, t) => a + numel(t), 0),
    3_821_079_552,
  );
  assert.deepEqual([c.family, c.norm, c.gatedMlp, c.parallelBlocks, c.rope?.rotaryDim, c.normEps], ['phi3', 'rmsnorm', true, false, 96, 1e-5]);
});

test('the published Phi-3-mini config plans: 24 GiB holds it dense in f16', async () => {
  const c = await readPlanConfig(PHI3_MINI_4K_CONFIG);
  const p = plan(c, parseGpuList('24', 64 * GiB), { ctx: 2048 });
  assert.equal(p.fits, true);
  assert.equal(p.estimate.weights.total, 3_821_079_552 * 2);
});

test('Phi-3 variants Slice Studio cannot run are refused by name in one line', () => {
  const refused = (patch: Record<string, unknown>, re: RegExp) =>
    assert.throws(
      () => parseConfig({ ...published(), ...patch }),
      (e: unknown) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'),
    );
  refused({ rope_scaling: { type: 'longrope', short_factor: [1], long_factor: [1] } }, /phi3 with rope_scaling "longrope" \(Phi-3-\*-128k/);
  refused({ rope_scaling: { type: 'su' } }, /rope_scaling "su"/);
  refused({ sliding_window: 256 }, /phi3 with sliding_window 256 is not supported/);
  refused({ attention_bias: true }, /phi3 with attention_bias/);
});

test('a tiny Phi-3 checkpoint: the adapter splits qkv_proj and gate_up_proj into rows, and slices store the parts apart', async () => {
  const folder = await writeTinyPhi3();
  try {
    const src = await openModel(folder);
    const st = await SafetensorsModel.create(folder);
    assert.ok(st.has('model.layers.1.self_attn.qkv_proj.weight') && !st.has('model.layers.1.self_attn.q_proj.weight'));
    const qkv = await st.read('model.layers.1.self_attn.qkv_proj.weight');
    const gateUp = await st.read('model.layers.1.mlp.gate_up_proj.weight');
    const l = await src.layer(1);
    assert.ok(l.kind === 'sequential');
    if (l.kind !== 'sequential') return;
    const D = 64;
    assert.deepEqual([l.attn.q.weight.rows, l.attn.k.weight.rows, l.attn.v.weight.rows, l.mlp.gate!.weight.rows, l.mlp.up.weight.rows], [64, 64, 64, 128, 128]);
    assert.deepEqual(l.attn.q.weight.data, qkv.subarray(0, 64 * D));
    assert.deepEqual(l.attn.k.weight.data, qkv.subarray(64 * D, 128 * D));
    assert.deepEqual(l.attn.v.weight.data, qkv.subarray(128 * D, 192 * D));
    assert.deepEqual(l.mlp.gate!.weight.data, gateUp.subarray(0, 128 * D));
    assert.deepEqual(l.mlp.up.weight.data, gateUp.subarray(128 * D));
    const names = tensorNames(src.config);
    assert.deepEqual([names.q, names.k, names.v, names.gate, names.up], ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'mlp.gate_proj', 'mlp.up_proj']);
  } finally {
    rmSync(dirname(folder), { recursive: true, force: true });
  }
});

test('a tiny Phi-3 layer reads each fused tensor once: q, k and v are row views of one qkv_proj, gate and up of one gate_up_proj', async () => {
  const folder = await writeTinyPhi3();
  try {
    const l = await (await openModel(folder)).layer(0);
    assert.ok(l.kind === 'sequential');
    if (l.kind !== 'sequential') return;
    const qkv = [l.attn.q, l.attn.k, l.attn.v].map((x) => x.weight.data);
    assert.ok(qkv.every((d) => d.buffer === qkv[0].buffer));
    assert.deepEqual(
      qkv.map((d) => d.byteOffset),
      [0, qkv[0].byteLength, qkv[0].byteLength + qkv[1].byteLength],
    );
    assert.equal(l.mlp.gate!.weight.data.buffer, l.mlp.up.weight.data.buffer);
    assert.notEqual(l.mlp.up.weight.data.buffer, qkv[0].buffer);
    // Each layer reads its own: layer 1's parts are not views of layer 0's tensor.
    const l1 = await (await openModel(folder)).layer(1);
    assert.ok(l1.kind === 'sequential' && l1.attn.q.weight.data.buffer !== qkv[0].buffer);
  } finally {
    rmSync(dirname(folder), { recursive: true, force: true });
  }
});
