import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDataset } from '../../core/data/local';
import { DatasetError } from '../../core/data/dataset';

const dir = mkdtempSync(join(tmpdir(), 'local-ds-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

test('.txt: one document per blank-line-separated paragraph, inner line breaks and indentation kept', async () => {
  const p = file('notes.txt', '\n\nFirst line\nsecond line\n\n  \n\n  Indented para\r\nwith CRLF\n\n\nLast\n');
  const ds = await localDataset(p);
  assert.equal(ds.name, 'notes.txt');
  assert.deepEqual(ds.rows, ['First line\nsecond line', '  Indented para\nwith CRLF', 'Last']);
});

test(".txt with txtMode 'lines': every non-blank line is a document", async () => {
  const p = file('lines.txt', 'a\nb\n\n c \n');
  assert.deepEqual((await localDataset(p, { txtMode: 'lines' })).rows, ['a', 'b', ' c ']);
});

test('.jsonl: the text field, Alpaca records formatted, a chosen field, blank lines skipped', async () => {
  const p = file('mixed.jsonl', '{"text": "plain doc"}\n\n{"instruction": "Say hi", "input": "", "output": "hi"}\n');
  const rows = (await localDataset(p)).rows;
  assert.equal(rows[0], 'plain doc');
  assert.ok(rows[1].startsWith('Below is an instruction that describes a task. Write') && rows[1].endsWith('### Response:\nhi'));
  const q = file('field.jsonl', '{"body": "one"}\n{"body": "two"}\n');
  assert.deepEqual((await localDataset(q, { field: 'body' })).rows, ['one', 'two']);
});

test('.json: an array of strings or records', async () => {
  assert.deepEqual((await localDataset(file('a.json', '["x", {"text": "y"}]'))).rows, ['x', 'y']);
});

test('bad input gives one-line DatasetErrors naming the file and line', async () => {
  await assert.rejects(localDataset(join(dir, 'missing.txt')), (e: Error) => e instanceof DatasetError && /not found/.test(e.message));
  await assert.rejects(localDataset(file('data.csv', 'a,b')), (e: Error) => e instanceof DatasetError && /\.txt, \.jsonl or \.json/.test(e.message));
  await assert.rejects(localDataset(file('bad.jsonl', '{"text": "ok"}\n{oops\n')), (e: Error) => e instanceof DatasetError && /bad\.jsonl line 2/.test(e.message));
  await assert.rejects(localDataset(file('nofield.jsonl', '{"title": "x"}\n')), (e: Error) => e instanceof DatasetError && /line 1: expected/.test(e.message));
  await assert.rejects(localDataset(file('empty.txt', '\n \n')), (e: Error) => e instanceof DatasetError && /no documents/.test(e.message));
});
