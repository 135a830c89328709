import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { wikitext2, wikitext2TestText, wikitext2Path } from '../../core/data/wikitext2';
import { DatasetError } from '../../core/data/dataset';
import { SHARED_DATA } from '../shared';

const shared = `${SHARED_DATA}/`;

test('the bundled test split has the 4,358 Hub rows, each a line with its newline', async () => {
  const { name, rows } = await wikitext2('test');
  assert.equal(name, 'wikitext2/test');
  assert.equal(rows.length, 4358);
  assert.ok(rows.every((r) => r.endsWith('\n') && !r.slice(0, -1).includes('\n')));
  assert.equal(rows[1], ' = Robert Boulter = \n');
  assert.equal(rows.filter((r) => r.trim() === '').length, 1467);
});

test('the test text is the rows joined with a blank line, and the bundled file is the shared one', async () => {
  const text = await wikitext2TestText();
  assert.ok(text.startsWith(' \n\n\n = Robert Boulter = \n\n\n \n\n\n Robert Boulter is an English film'));
  const file = readFileSync(wikitext2Path('test'), 'utf8');
  assert.equal(text.length, file.length + 2 * 4357);
  assert.equal(file, readFileSync(`${shared}wikitext-2-raw/wiki.test.raw`, 'utf8'));
});

test('the validation split (calibration) is the tokenized release, 3,760 rows', async () => {
  const { rows } = await wikitext2('validation');
  assert.equal(rows.length, 3760);
  assert.equal(rows[1], ' = Homarus gammarus = \n');
  assert.ok(rows.some((r) => r.includes('<unk>')));
});

test('a missing WikiText-2 file is a one-line DatasetError', async () => {
  await assert.rejects(wikitext2('test', '/nonexistent/wiki.test.raw'), (e: Error) => e instanceof DatasetError && /not found/.test(e.message));
});
