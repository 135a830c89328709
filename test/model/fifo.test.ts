// Issue #17, item 6: a FIFO (or any non-regular file) where a model file should be must not hang anything:
// opening a FIFO for reading blocks until a writer appears, so the type is checked before any open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel, InspectError } from '../../core/model/inspect';
import { openModel, ModelFolderError } from '../../core/model/source';
import { loadTokenizer, TokenizerFormatError } from '../../core/model/tokenizer';
import { readPlanConfig, PlanInputError } from '../../core/plan/index';
import { sharedModel } from '../shared';

const SRC = sharedModel('tiny-llama');
const root = mkdtempSync(join(tmpdir(), 'ss-fifo-'));
let n = 0;

function modelWithFifo(name: string): string {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(SRC, f), join(dir, f));
  rmSync(join(dir, name));
  const r = spawnSync('mkfifo', [join(dir, name)]);
  assert.equal(r.status, 0, 'mkfifo must work for this test');
  return dir;
}

const oneLine = (cls: new (...a: never[]) => Error, pattern: RegExp) => (e: Error) => {
  assert.ok(e instanceof cls, `${e.name}: ${e.message}`);
  assert.match(e.message, pattern);
  assert.doesNotMatch(e.message, /\n/);
  return true;
};

test('a FIFO named model.safetensors: inspect and open refuse it at once', async () => {
  const dir = modelWithFifo('model.safetensors');
  await assert.rejects(inspectModel(dir), oneLine(InspectError, /model\.safetensors is not a regular file/));
  await assert.rejects(openModel(dir), oneLine(ModelFolderError, /not a regular file/));
});

test('a FIFO named config.json or tokenizer.json is refused, not read', async () => {
  const dir = modelWithFifo('config.json');
  await assert.rejects(inspectModel(join(dir, 'config.json')), oneLine(InspectError, /config\.json is not a regular file/));
  await assert.rejects(readPlanConfig(dir), oneLine(PlanInputError, /config\.json is not a regular file/));
  await assert.rejects(openModel(dir), oneLine(ModelFolderError, /config\.json is not a regular file/));
  const tok = modelWithFifo('tokenizer.json');
  await assert.rejects(loadTokenizer(tok), oneLine(TokenizerFormatError, /tokenizer\.json is not a regular file/));
});
