import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, TokenizerNotFoundError, TokenizerFormatError } from '../../core/model/tokenizer';
import { sharedData } from '../shared';

const shared = sharedData('tokenizers');

test('a folder without tokenizer files is a one-line TokenizerNotFoundError naming what is expected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  writeFileSync(join(dir, 'config.json'), '{}');
  await assert.rejects(loadTokenizer(dir), (e: Error) => e instanceof TokenizerNotFoundError && e.message === `no tokenizer in ${dir}: expected tokenizer.json, or vocab.json with merges.txt`);
  await assert.rejects(loadTokenizer(join(dir, 'missing')), TokenizerNotFoundError);
});

test('vocab.json without merges.txt is not a tokenizer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  copyFileSync(join(shared, 'gpt2', 'vocab.json'), join(dir, 'vocab.json'));
  await assert.rejects(loadTokenizer(dir), TokenizerNotFoundError);
});

test('a broken tokenizer.json is a TokenizerFormatError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
  await assert.rejects(loadTokenizer(dir), (e: Error) => e instanceof TokenizerFormatError && e.message.includes('tokenizer.json'));
  writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0"}');
  await assert.rejects(loadTokenizer(dir), (e: Error) => e instanceof TokenizerFormatError && /no "model"/.test(e.message));
});

test('vocab.json + merges.txt with add_bos_token in tokenizer_config.json prepends the bos token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  copyFileSync(join(shared, 'gpt2', 'vocab.json'), join(dir, 'vocab.json'));
  copyFileSync(join(shared, 'gpt2', 'merges.txt'), join(dir, 'merges.txt'));
  const plain = await loadTokenizer(dir);
  assert.deepEqual(plain.encode('Hello world'), [15496, 995]);
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: true, bos_token: '<|endoftext|>' }));
  const withBos = await loadTokenizer(dir);
  assert.deepEqual(withBos.encode('Hello world'), [50256, 15496, 995]);
  assert.deepEqual(withBos.encode('Hello world', { addSpecialTokens: false }), [15496, 995]);
});
