// Q4_K_M/Q5_K_M's extra bits are written twice on purpose: formats.ts moreBits by role (sizing a model with no
// GGUF layout) and gguf-types.ts mixtureRule by GGUF name (what the exporter writes). On an unfused, non-70B
// model with untied output they must pick the same type for every block matrix, the head and the embedding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATS, useMoreBits, type Dtype } from '../../core/plan/formats';
import { ggufName, ggufTensorDtype, isLlamaCpp70B, type GgufQuantModel } from '../../core/plan/gguf-types';

const MATRICES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const NE0 = 4096; // a multiple of every K-quant block: no row fallback

test('moreBits (by role) and mixtureRule (by GGUF name) give q4_k_m and q5_k_m the same types on the tensors both cover', () => {
  let compared = 0;
  for (const file of ['q4_k_m', 'q5_k_m'] as const) {
    const f = FORMATS[file];
    const more = f.moreBits;
    assert.ok(more, `${file} has moreBits`);
    for (const layers of [2, 8, 22, 32, 40]) {
      const m: GgufQuantModel = { arch: 'llama', layers, heads: 32, kvHeads: 8, tiedOutput: false };
      assert.equal(isLlamaCpp70B(m), false);
      for (let i = 0; i < layers; i++)
        for (const name of MATRICES) {
          const byRole: Dtype = more.tensors.includes(name) && useMoreBits(i, layers) ? more.dtype : f.linear;
          const gguf = ggufName(name, i, false) as string;
          assert.equal(ggufTensorDtype(file, gguf, NE0, m).wanted, byRole, `${file} ${gguf} of ${layers}`);
          compared++;
        }
      assert.equal(ggufTensorDtype(file, 'output.weight', NE0, m).wanted, f.head, `${file} head`);
      assert.equal(ggufTensorDtype(file, 'token_embd.weight', NE0, m).wanted, f.embedding, `${file} embedding`);
    }
  }
  assert.equal(compared, 2 * 7 * (2 + 8 + 22 + 32 + 40));
});
