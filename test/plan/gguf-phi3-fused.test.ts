// Phi-3 goes to GGUF with q/k/v fused as attn_qkv and gate/up as ffn_up (export/gguf/block-tensors.ts), and
// llama.cpp's quantizer types a fused qkv as attn_v (src/llama-quant.cpp category_is_attn_v: ATTENTION_QKV is
// attn_v-like, and that branch comes before the ATTENTION_QKV one): in Q4_K_M the whole qkv — q and k rows too —
// is Q6_K in the use_more_bits layers. The planner sizes the fused tensors, not q/k/v apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { exportGguf } from '../../core/export/gguf/index';
import { GgmlType } from '../../core/export/gguf/constants';
import { ggufTensors } from '../../core/plan/gguf-tensors';
import { FORMATS } from '../../core/plan/formats';
import { weightBytes } from '../../core/plan/memory';
import { denseShapes } from '../../core/plan/params';
import { parseConfig } from '../../core/model/config';
import { quietContext } from '../../core/base/job-context';
import { PHI3_MINI_4K_CONFIG, writeTinyPhi3 } from '../fixtures/phi3/make-tiny-phi3';
import { compare } from './gguf-compare';

const phi3Mini = () => parseConfig(JSON.parse(readFileSync(PHI3_MINI_4K_CONFIG, 'utf8')));

test('Phi-3-mini Q4_K_M: attn_qkv (9216 rows) Q6_K in the 16 use_more_bits layers and Q4_K in the others, ffn_up (16384 rows) Q4_K, no separate q/k/v or gate — planned as exported', (t) => {
  const c = phi3Mini();
  const { types, byName, exportedBytes } = compare(c, 'q4_k_m', { width: c.hiddenSize, sliced: false });
  assert.deepEqual(types('.attn_qkv.weight'), { Q6_K: 16, Q4_K: 16 });
  assert.deepEqual(types('.ffn_up.weight'), { Q4_K: 32 });
  assert.deepEqual(types('.ffn_down.weight'), { Q6_K: 16, Q4_K: 16 });
  assert.deepEqual(byName.get('blk.0.attn_qkv.weight')!.ne, [3072, 9216]);
  assert.deepEqual(byName.get('blk.0.ffn_up.weight')!.ne, [3072, 16384]);
  for (const n of ['blk.0.attn_q.weight', 'blk.0.attn_v.weight', 'blk.0.ffn_gate.weight']) assert.equal(byName.has(n), false, n);
  t.diagnostic(`Phi-3-mini-4k Q4_K_M: ${exportedBytes} tensor bytes`);
});

test('sizing the fused qkv adds exactly the q and k rows at Q6_K instead of Q4_K in the 16 use_more_bits layers, over sizing q/k/v apart', () => {
  const shapes = denseShapes(phi3Mini());
  const fused = weightBytes(shapes, FORMATS.q4_k_m).total;
  const apart = weightBytes({ ...shapes, gguf: null }, FORMATS.q4_k_m).total; // by role: only v_proj takes Q6_K
  const qkRows = 2 * 32 * 96;
  assert.equal(fused - apart, 16 * qkRows * (3072 / 256) * (210 - 144));
});

test('a uniform slice of Phi-3-mini (d = 2304 ≠ 32 × 96) is written as llama: q/k/v and gate/up apart, attn_v typed alone — planned as exported', () => {
  const { types, byName } = compare(phi3Mini(), 'q4_k_m', { width: 2304, sliced: true });
  assert.deepEqual(types('.attn_v.weight'), { Q6_K: 16, Q4_K: 16 });
  assert.deepEqual(types('.attn_q.weight'), { Q4_K: 32 });
  assert.equal(byName.has('blk.0.attn_qkv.weight'), false);
});

test('tiny Phi-3 written in Q8_0 and Q4_0: the fused tensors node-llama-cpp reads from the file are the planned ones, type for type, and the written tensor bytes the planned weight bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-phi3-plan-'));
  try {
    const model = await writeTinyPhi3(join(dir, 'tiny-phi3'));
    const shapes = denseShapes(parseConfig(JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'))));
    for (const dtype of ['q8_0', 'q4_0'] as const) {
      const e = await exportGguf(quietContext(), { model, dtype, out: join(dir, `${dtype}.gguf`) });
      assert.equal(e.architecture, 'phi3');
      const info = await readGgufFileInfo(e.file, { logWarnings: false, readTensorInfo: true });
      const read = new Map(info.tensorInfo!.map((ti) => [ti.name, { type: GgmlType[ti.ggmlType as number], ne: ti.dimensions.map(Number) }]));
      const planned = ggufTensors(shapes, dtype)!;
      assert.deepEqual(planned.map((p) => p.name).sort(), [...read.keys()].sort());
      for (const p of planned) {
        assert.equal(p.type.toUpperCase(), read.get(p.name)!.type, `${dtype} ${p.name}`);
        assert.deepEqual(p.rows === 1 ? [p.ne0] : [p.ne0, p.rows], read.get(p.name)!.ne, `${p.name} shape`);
      }
      assert.equal(weightBytes(shapes, FORMATS[dtype]).total, e.tensorBytes, dtype);
      t.diagnostic(`tiny Phi-3 ${dtype}: planned = written = ${e.tensorBytes} B`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
