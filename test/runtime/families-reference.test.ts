// The tiny family models (test/fixtures/families) against Hugging Face transformers: reference.json is written
// on the GPU machine by make_reference.py (transformers' own Llama/Mistral/Qwen2/Qwen3 classes, float32) from
// the weights make_tiny.py draws — the very values tiny-family.ts writes here, as the first test checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openModel } from '../../core/model/source';
import { SafetensorsModel } from '../../core/model/safetensors';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import { TINY_FAMILIES, writeTinyFamily } from '../fixtures/families/tiny-family';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'families');
const REFERENCE = join(FIXTURES, 'reference.json');
const TOLERANCE = 1e-4;

const numpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

test('make_tiny.py (NumPy, what the GPU machine runs) and tiny-family.ts write the same tensors, bit for bit', { skip: numpy ? false : 'python3 with NumPy is not installed here' }, async () => {
  // One family per branch of make_tiny.py's tensors(): q/k norms, tied head, q/k/v biases, fused projections.
  for (const name of ['qwen3', 'llama-3.2', 'qwen2.5', 'phi-3'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'slice-tiny-py-'));
    const ts = await writeTinyFamily(name);
    try {
      const py = spawnSync('python3', [join(FIXTURES, 'make_tiny.py'), name, dir], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      const [a, b] = await Promise.all([SafetensorsModel.create(dir), SafetensorsModel.create(ts)]);
      assert.deepEqual([...a.names].sort(), [...b.names].sort());
      for (const n of a.names) assert.deepEqual(new Uint32Array((await a.read(n)).buffer), new Uint32Array((await b.read(n)).buffer), n);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), JSON.parse(readFileSync(join(ts, 'config.json'), 'utf8')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(dirname(ts), { recursive: true, force: true });
    }
  }
});

interface Vector {
  architecture: string;
  input_ids: number[];
  sampled_ids: number[];
  argmax_per_position: number[];
  logsumexp_per_position: number[];
  sampled_logits_per_position: number[][];
}

const reference: { transformers: string; families: Record<string, Vector | { error: string }> } | null = existsSync(REFERENCE) ? JSON.parse(readFileSync(REFERENCE, 'utf8')) : null;
const absent = `${REFERENCE} is absent: run test/fixtures/families/make_reference.py where torch and transformers are installed (the GPU machine) and commit its JSON there`;

for (const name of TINY_FAMILIES) {
  const v = reference?.families[name];
  const skip = !reference ? absent : !v ? `reference.json has no ${name}` : 'error' in v ? `transformers ${reference.transformers} could not build ${name}: ${v.error}` : false;
  test(`tiny ${name}: logits, logsumexp and argmax equal transformers' within ${TOLERANCE} (float32)`, { skip }, async () => {
    const r = v as Vector;
    const folder = await writeTinyFamily(name);
    const src = await openModel(folder);
    const runner = await createBlockRunner(src.arch);
    try {
      const ids = Int32Array.from(r.input_ids);
      const V = src.config.vocabSize;
      const out = await forward(src, runner, [ids], { logits: true });
      let worst = 0;
      for (let p = 0; p < ids.length; p++) {
        const row = out.logits!.subarray(p * V, (p + 1) * V);
        worst = Math.max(worst, Math.abs(out.logsumexp[p] - r.logsumexp_per_position[p]));
        r.sampled_ids.forEach((id, j) => (worst = Math.max(worst, Math.abs(row[id] - r.sampled_logits_per_position[p][j]))));
        // Our argmax, or a logit tied with transformers' within the tolerance (random weights can nearly tie).
        let best = 0;
        for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
        assert.ok(best === r.argmax_per_position[p] || row[best] - row[r.argmax_per_position[p]] < TOLERANCE, `argmax at position ${p}: ${best} vs ${r.argmax_per_position[p]}`);
      }
      assert.ok(worst <= TOLERANCE, `largest difference from transformers ${reference!.transformers} (${r.architecture}): ${worst}`);
    } finally {
      await runner.dispose();
      rmSync(dirname(folder), { recursive: true, force: true });
    }
  });
}
