// Issue #11: "a config whose shapes are inconsistent … is a clear error". A config.json that does not describe
// the weights beside it (another model's config, an edited width) is refused when the model is opened, in one
// line naming the tensor, both shapes and the config fields — not at the layer that reads it, hours into a slice.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { isUserError } from '../../core/base/user-error';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { quietContext } from '../../core/base/job-context';
import { sharedModel } from '../shared';

const SRC = sharedModel('tiny-llama');
const root = mkdtempSync(join(tmpdir(), 'ss-config-weights-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** tiny-llama's weights (a copy) under a config.json with `patch` applied. */
function withConfig(patch: Record<string, unknown>): string {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir);
  copyFileSync(join(SRC, 'model.safetensors'), join(dir, 'model.safetensors'));
  if (existsSync(join(SRC, 'tokenizer.json'))) copyFileSync(join(SRC, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(SRC, 'config.json'), 'utf8')), ...patch }));
  return dir;
}

async function refusedAtOpen(patch: Record<string, unknown>, message: string): Promise<void> {
  await assert.rejects(openModel(withConfig(patch)), (e: Error) => {
    assert.ok(isUserError(e), `${e.name}: ${e.message}`);
    assert.equal(e.message, message);
    return true;
  });
}

test('an intermediate_size the MLP weights do not have is refused at open, naming the first tensor and both shapes', async () => {
  await refusedAtOpen({ intermediate_size: 1024 }, 'config.json and the weights disagree: model.layers.0.mlp.gate_proj.weight is [704, 256], the config implies [1024, 256] (hidden_size 256, 8 heads and 4 KV heads of 32, intermediate_size 1024)');
});

test('a hidden_size of another model is refused at the embedding', async () => {
  await refusedAtOpen({ hidden_size: 512, head_dim: 64 }, 'config.json and the weights disagree: model.embed_tokens.weight is [4096, 256], the config implies […, 512] (hidden_size 512, 8 heads and 4 KV heads of 64, intermediate_size 704)');
});

test('KV heads that divide the heads but not as the weights do (GQA 8/8 instead of 8/4) are refused at k_proj', async () => {
  await refusedAtOpen({ num_key_value_heads: 8 }, 'config.json and the weights disagree: model.layers.0.self_attn.k_proj.weight is [128, 256], the config implies [256, 256] (hidden_size 256, 8 heads and 8 KV heads of 32, intermediate_size 704)');
});

test('a slice of such a folder is refused before any work: no output folder', async () => {
  const out = join(root, 'out');
  await assert.rejects(
    sliceModel(quietContext(), { model: withConfig({ intermediate_size: 1024 }), ratio: 0.25, cal: 'wikitext2', nsamples: 2, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false }),
    (e: Error) => isUserError(e) && e.message.startsWith('config.json and the weights disagree: ') && !e.message.includes('\n'),
  );
  assert.equal(existsSync(out), false);
});

test('the unchanged config opens (the control)', async () => {
  const src = await openModel(withConfig({}));
  assert.equal(src.config.intermediateSize, 704);
});
