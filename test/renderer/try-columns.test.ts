// The Try it columns from a real generate job's stream (tiny-stories beside tiny-llama): the newest event
// per column is the text shown while it streams, the recorded result replaces it when the job is done.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import type { GenerateJobResult } from '../../core/jobs/kinds/generate';
import { columnsOf, speedLine } from '../../renderer/src/rooms/try/columns';
import { sharedModel } from '../shared';

let dir: string;
let service: SliceStudioService;
const data: Record<string, unknown>[] = [];
let result: GenerateJobResult;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-try-columns-'));
  service = await SliceStudioService.create({ storeFile: join(dir, 'store.db'), hardware: { dataDir: dir, probeProviders: false } });
  const off = service.events.subscribe((e) => e.channel === 'job' && e.type === 'progress' && e.data && data.push(e.data));
  const { jobId } = await service.startJob({ kind: 'generate', params: { model: sharedModel('tiny-stories'), compare: sharedModel('tiny-llama'), prompt: 'Once upon a time', maxNewTokens: 8 } });
  const end = await service.runner.wait(jobId);
  off();
  assert.equal(end.type, 'done');
  result = (end as { result: GenerateJobResult }).result;
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

test('while streaming, each column shows its newest continuation and token count', () => {
  const half = data.slice(0, 7); // column 0 has had 4 tokens, column 1 three (they take turns)
  const [a, b] = columnsOf(half, null);
  assert.equal(a.tokens, 4);
  assert.equal(b.tokens, 3);
  assert.ok(result.completion.startsWith(a.text), `${JSON.stringify(a.text)} starts ${JSON.stringify(result.completion)}`);
  assert.ok(result.compared!.completion.startsWith(b.text));
  assert.equal(a.final, null);
  assert.match(speedLine(a), /^4 tokens · [\d.]+ tokens\/s$/);
});

test('once done, the recorded result replaces the stream: texts, token counts and the recorded tokens/s', () => {
  const [a, b] = columnsOf(data, result);
  assert.equal(a.text, result.completion);
  assert.equal(b.text, result.compared!.completion);
  assert.equal(a.final?.newTokens, 8);
  assert.equal(speedLine(b), `8 tokens · ${result.compared!.tokensPerSecond.toFixed(1)} tokens/s`);
  assert.equal(speedLine(columnsOf([], null)[0]), '—');
});
