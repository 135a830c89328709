// One default perplexity protocol for every caller: the ppl job, eval's perplexity and verify-export all
// score the first DEFAULT_PPL_WINDOWS windows of DEFAULT_PPL_SEQLEN tokens unless told otherwise, and
// "all windows" is one flag away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pplParams } from '../../core/jobs/kinds/ppl';
import { evalParams } from '../../core/jobs/kinds/eval';
import { verifyExportParams } from '../../core/jobs/kinds/export';
import { DEFAULT_PPL_SEQLEN, DEFAULT_PPL_WINDOWS } from '../../core/runtime/ppl-protocol';
import { DEMO_DEFAULTS } from '../../core/demo/demo';
import { PayloadError } from '../../core/base/validate';
import { models } from '../transports/cli-helpers';

const model = join(models, 'tiny-llama');

test('the default protocol is the first 64 windows of 256 tokens, for ppl, eval --ppl, verify-export and the demo', () => {
  assert.deepEqual([DEFAULT_PPL_WINDOWS, DEFAULT_PPL_SEQLEN], [64, 256]);
  const p = pplParams.check({ model }, 'ppl params');
  assert.deepEqual([p.maxWindows, p.seqlen, p.allWindows], [64, 256, undefined]);
  const e = evalParams.check({ model, tasks: [], ppl: true }, 'eval params');
  assert.deepEqual([e.pplMaxWindows, e.pplSeqlen], [64, 256]);
  const v = verifyExportParams.check({ path: '/x/model-onnx' }, 'verify params');
  assert.equal(v.maxWindows, 64);
  assert.equal(DEMO_DEFAULTS.pplWindows, 64);
});

test('all windows on request; a window count and "all" together are refused in one line', () => {
  const p = pplParams.check({ model, allWindows: true }, 'ppl params');
  assert.deepEqual([p.maxWindows, p.allWindows], [undefined, true]);
  const e = evalParams.check({ model, tasks: [], ppl: true, pplAllWindows: true }, 'eval params');
  assert.deepEqual([e.pplMaxWindows, e.pplAllWindows], [undefined, true]);
  assert.equal(verifyExportParams.check({ path: '/x', allWindows: true }, 'verify params').maxWindows, undefined);
  assert.throws(
    () => pplParams.check({ model, allWindows: true, maxWindows: 8 }, 'ppl params'),
    (e: Error) => e instanceof PayloadError && /exclude each other/.test(e.message),
  );
});
