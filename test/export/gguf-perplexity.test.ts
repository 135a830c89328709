// llama.cpp's perplexity of a fresh GGUF export, as the export job records it: the app's protocol (our
// tokenizer's ids, first n windows of 256 tokens of WikiText-2 test), equal to the app's own number.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel } from '../../core/export/index';
import { ggufPerplexity } from '../../core/export/gguf-perplexity';
import { quietContext } from '../../core/base/job-context';
import { openAnyModel } from '../../core/slicegpt/open';
import { perplexityWithRunner } from '../../core/runtime/perplexity';
import { loadTokenizer } from '../../core/model/tokenizer';
import { wikitext2 } from '../../core/data/wikitext2';
import { sharedModel } from '../shared';

const dir = mkdtempSync(join(tmpdir(), 'ss-gguf-ppl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the F16 export’s llama.cpp perplexity carries the app’s protocol and equals the in-app perplexity within 0.5 %', async () => {
  const model = sharedModel('tiny-llama');
  const r = await exportModel(quietContext(), { model, format: 'gguf', dtype: 'f16', out: join(dir, 'tl.gguf') });
  const g = await ggufPerplexity(quietContext(), r.path, model, 4);
  assert.deepEqual([g.protocol.dataset, g.protocol.split, g.protocol.seqlen, g.protocol.windows], ['wikitext2', 'test', 256, 4]);
  assert.ok(g.protocol.of !== null && g.protocol.of > 1000, `corpus windows ${g.protocol.of}`);
  const ids = (await loadTokenizer(model)).encodeCorpus((await wikitext2('test')).rows, '\n\n');
  const app = await perplexityWithRunner(await openAnyModel(model), ids.slice(0, 4 * 256), { seqLen: 256 });
  assert.ok(Math.abs(g.ppl - app.ppl) / app.ppl < 0.005, `llama.cpp ${g.ppl} vs app ${app.ppl}`);
});
