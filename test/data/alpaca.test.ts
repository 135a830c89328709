import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alpaca, alpacaPrompt, alpacaText } from '../../core/data/alpaca';
import { DatasetError } from '../../core/data/dataset';

test('records with an input use the "paired with an input" template', () => {
  const r = { instruction: 'Identify the odd one out.', input: 'Twitter, Instagram, Telegram', output: 'Telegram' };
  assert.equal(
    alpacaText(r),
    'Below is an instruction that describes a task, paired with an input that provides further context. ' +
      'Write a response that appropriately completes the request.\n\n### Instruction:\nIdentify the odd one out.\n\n' +
      '### Input:\nTwitter, Instagram, Telegram\n\n### Response:\nTelegram',
  );
});

test('records without an input (empty or absent) use the no-input template, as the Hub text column does', () => {
  const r = { instruction: 'Give three tips for staying healthy.', input: '', output: '1.Eat a balanced diet.' };
  const expected = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' + '### Instruction:\nGive three tips for staying healthy.\n\n### Response:\n1.Eat a balanced diet.';
  assert.equal(alpacaText(r), expected);
  assert.equal(alpacaText({ instruction: r.instruction, output: r.output }), expected);
  assert.ok(alpacaPrompt(r).endsWith('### Response:'));
});

test('dollar signs in the data are kept literally', () => {
  assert.ok(alpacaPrompt({ instruction: 'Price $& and $1', output: '' }).includes('Price $& and $1'));
});

test('the bundled 5,000-record subset loads, with and without inputs', async () => {
  const { name, rows } = await alpaca();
  assert.equal(name, 'alpaca');
  assert.equal(rows.length, 5000);
  assert.ok(rows[0].includes('### Input:\nSentence 1: I am going to the store.'));
  assert.ok(rows[1].includes('### Input:\nG, B, E'));
  assert.ok(rows.some((r) => !r.includes('### Input:')));
});

test('a malformed Alpaca file is a one-line DatasetError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alpaca-'));
  writeFileSync(join(dir, 'bad.json'), '[{"instruction": "x"}]');
  await assert.rejects(alpaca(join(dir, 'bad.json')), (e: Error) => e instanceof DatasetError && /record 0/.test(e.message));
  writeFileSync(join(dir, 'broken.json'), '[{');
  await assert.rejects(alpaca(join(dir, 'broken.json')), DatasetError);
});
