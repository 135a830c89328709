// Issue #17, item 2: an invalid or null slicing_config.json (or config.json) in a sliced folder is a one-line
// user error from openAnyModel and summarizeModel, never a SyntaxError or TypeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAnyModel } from '../../core/slicegpt/open';
import { summarizeModel } from '../../core/jobs/kinds/common';
import { isUserError } from '../../core/base/user-error';
import { sharedModel } from '../shared';
import { SLICING } from '../../bench/lib/fuzz/seeds';

const SRC = sharedModel('tiny-llama');
const root = mkdtempSync(join(tmpdir(), 'ss-sliced-'));
let n = 0;

function sliced(slicing: string, config?: string): string {
  const dir = join(root, `s${n++}`);
  mkdirSync(dir);
  const h = Buffer.from(JSON.stringify({ 'lm_head.weight': { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([len, h, Buffer.alloc(4)]));
  writeFileSync(join(dir, 'config.json'), config ?? readFileSync(join(SRC, 'config.json')));
  writeFileSync(join(dir, 'slicing_config.json'), slicing);
  return dir;
}

async function userError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(isUserError(e), `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('null, invalid JSON, an array or a scalar slicing_config.json: one-line user errors from both readers', async () => {
  for (const [text, pattern] of [
    ['null', /slicing_config\.json is not a JSON object/],
    ['{"hidden_size": 256,', /slicing_config\.json is not valid JSON/],
    ['[1,2]', /slicing_config\.json is not a JSON object/],
    ['"x"', /slicing_config\.json is not a JSON object/],
  ] as const) {
    const dir = sliced(text);
    await userError(openAnyModel(dir), pattern);
    await userError(summarizeModel(dir), pattern);
  }
});

test('widths that cannot be right are refused: 0, negative, past D, strings, missing maps', async () => {
  for (const [patch, pattern] of [
    [{ const_dimension: 0 }, /const_dimension must be a whole number from 1 to hidden_size 256/],
    [{ const_dimension: 4096 }, /const_dimension/],
    [{ attention_input_dimensions: { '0': -5 } }, /attention_input_dimensions\["0"\]/],
    [{ mlp_output_dimensions: { '0': 'x' } }, /mlp_output_dimensions/],
    [{ mlp_input_dimensions: null }, /has no mlp_input_dimensions object/],
    [{ hidden_size: 1e308 }, /no valid hidden_size/],
    [{ layers_num: 100_000 }, /no valid layers_num/],
    [{ do_slice_head: 'yes' }, /do_slice_head must be true or false/],
  ] as const) {
    const dir = sliced(JSON.stringify({ ...SLICING, ...patch }));
    await userError(openAnyModel(dir), pattern);
    await userError(summarizeModel(dir), pattern);
  }
});

test('a broken config.json in a sliced folder is a user error for summarizeModel too', async () => {
  const dir = sliced(JSON.stringify(SLICING), '{"model_type": "llama", "hidden_size": ');
  await userError(summarizeModel(dir), /config\.json is not valid JSON/);
  await userError(openAnyModel(dir), /config\.json is not valid JSON/);
});

test('a valid slicing_config.json still opens', async () => {
  const s = await summarizeModel(sliced(JSON.stringify(SLICING)));
  assert.deepEqual([s.sliced, s.hiddenSize, s.d, s.params], [true, 256, 192, 2]);
});
