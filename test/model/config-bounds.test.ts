// Issue #17, item 3 and #11 ("a config whose shapes are inconsistent is a clear error"): config.json is
// validated with bounds before any arithmetic, so nonsense is refused instead of planned, stored or looped on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, ConfigError, CONFIG_BOUNDS } from '../../core/model/config';
import { inspectModel, InspectError } from '../../core/model/inspect';
import { plan, estimate, GiB } from '../../core/plan/index';
import { Store } from '../../core/store/store';

const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared');
const llama7b = JSON.parse(readFileSync(join(SHARED, 'data', 'configs', 'llama-2-7b-hf.json'), 'utf8')) as Record<string, unknown>;
const root = mkdtempSync(join(tmpdir(), 'ss-config-'));

function refused(patch: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(
    () => parseConfig({ ...llama7b, ...patch }),
    (e: Error) => {
      assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

test('attention heads: 0, negative, fractional or too many are refused', () => {
  for (const v of [0, -8, 2.5, 1e6]) refused({ num_attention_heads: v }, /num_attention_heads \(attention head count\) is .*expected a whole number from 1 to 1,024/);
});

test('heads that do not divide the hidden size are a clear error (unless head_dim says the width)', () => {
  refused({ num_attention_heads: 24, num_key_value_heads: 8 }, /24 attention heads do not divide the hidden size 4,096/);
  assert.equal(parseConfig({ ...llama7b, num_attention_heads: 24, num_key_value_heads: 8, head_dim: 128 }).headDim, 128);
  refused({ num_key_value_heads: 5 }, /32 attention heads do not split into 5 KV heads/);
  refused({ num_key_value_heads: 64 }, /num_key_value_heads .* from 1 to 32/);
});

test('layer counts outside 1…1,000 are refused: 0, negative, 10¹², 2³¹−1, 100,000', () => {
  for (const v of [0, -3, 1e12, 2 ** 31 - 1, 100_000]) refused({ num_hidden_layers: v }, /num_hidden_layers \(layer count\) .* from 1 to 1,000/);
  assert.equal(CONFIG_BOUNDS.numLayers[1], 1000);
});

test('hidden size 1e308, vocabularies past 2²² and MLP widths past 2²⁰ are refused', () => {
  refused({ hidden_size: 1e308 }, /hidden_size \(hidden size\) is 1e\+308/);
  refused({ vocab_size: 2 ** 31 }, /vocab_size/);
  refused({ intermediate_size: 2 ** 40 }, /intermediate_size/);
  refused({ max_position_embeddings: 0 }, /max_position_embeddings/);
  refused({ rms_norm_eps: -1 }, /rms_norm_eps/);
  refused({ rope_theta: 0 }, /rope_theta/);
  refused({ rope_scaling: 'linear' }, /rope_scaling is "linear"; expected an object/);
});

test('a present field of the wrong type is an error, not a silent fallback', () => {
  refused({ hidden_size: '4096' }, /hidden_size \(hidden size\) is "4096"/);
  refused({ num_hidden_layers: null, n_layer: [32] }, /n_layer .* is an array/);
  refused({ bos_token_id: 2 ** 31 }, /bos_token_id 2,147,483,648 is outside the vocabulary/);
  // Old configs write pad_token_id -1 for "none".
  assert.equal(parseConfig({ ...llama7b, pad_token_id: -1 }).padTokenId, null);
});

test('inspect refuses 0 heads before the store sees NaN (no NOT NULL constraint failure)', async () => {
  const file = join(root, 'zero-heads.json');
  writeFileSync(file, JSON.stringify({ ...llama7b, num_attention_heads: 0 }));
  await assert.rejects(inspectModel(file), (e: Error) => e instanceof InspectError && /num_attention_heads/.test(e.message));
  // And what inspect accepts, the store records.
  writeFileSync(file, JSON.stringify(llama7b));
  const store = Store.open(':memory:');
  assert.equal(store.recordInspection(await inspectModel(file)).model.paramCount > 6e9, true);
});

test('the planner runs at the bounds: 1,000 layers of hidden 65,536 and 0 or negative layers never reach it', () => {
  const c = parseConfig({ ...llama7b, num_hidden_layers: 1000, hidden_size: 65_536, num_attention_heads: 512, num_key_value_heads: 512, intermediate_size: 1_048_576 });
  const hw = { gpus: [{ name: 'GPU 0 (24 GB)', freeBytes: 24 * GiB, totalBytes: 24 * GiB }], ramFreeBytes: 32 * GiB };
  const p = plan(c, hw);
  assert.equal(p.fits, false);
  assert.ok(p.suggestions.length > 0);
  assert.ok(Number.isFinite(estimate(c, hw, 0.25).totalBytes));
  refused({ num_hidden_layers: 0 }, /from 1 to 1,000/);
});
