// Issue #17, item 4: tokenizer files are checked before the library sees them — refuse what cannot be right
// (non-string added-token content, null ids, ids of 2³¹, malformed merges), bound what can be slow
// (normalizer / pre-tokenizer regexes that backtrack catastrophically are refused at load).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, TokenizerFormatError } from '../../core/model/tokenizer';
import { LLAMA3_SPLIT, withSplitPreTokenizer } from '../../bench/lib/fuzz/seeds';

const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared');
const stories = JSON.parse(readFileSync(join(SHARED, 'models', 'tiny-stories', 'tokenizer.json'), 'utf8')) as Record<string, any>;
const root = mkdtempSync(join(tmpdir(), 'ss-tok-'));
let n = 0;

function folder(files: Record<string, string>): string {
  const dir = join(root, `t${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const withJson = (edit: (j: Record<string, any>) => void): string => {
  const j = structuredClone(stories);
  edit(j);
  return folder({ 'tokenizer.json': JSON.stringify(j) });
};

async function refused(dir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadTokenizer(dir), (e: Error) => {
    assert.ok(e instanceof TokenizerFormatError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('a non-string added-token content is a TokenizerFormatError, not a TypeError', async () => {
  for (const content of [5, null, { content: '<s>' }, ''])
    await refused(
      withJson((j) => (j.added_tokens[1].content = content)),
      /added token 1 has content .*expected non-empty text/,
    );
  await refused(
    withJson((j) => (j.added_tokens = 'none')),
    /added_tokens is "none"; expected a list/,
  );
});

test('token ids out of range are refused: 2³¹ in the vocab or as an added token, negative, fractional', async () => {
  await refused(
    withJson((j) => (j.model.vocab['▁the'] = 2 ** 31)),
    /has id 2147483648; ids are whole numbers from 0 to 4194303/,
  );
  await refused(
    withJson((j) => (j.added_tokens[0].id = 2 ** 31)),
    /added token "<unk>" has id 2147483648/,
  );
  await refused(
    withJson((j) => (j.model.vocab['▁the'] = -1)),
    /has id -1/,
  );
  await refused(
    withJson((j) => (j.model.vocab['▁the'] = 1.5)),
    /has id 1\.5/,
  );
});

test('vocab.json with null ids and merges.txt with malformed lines are refused', async () => {
  const gpt2 = join(SHARED, 'data', 'tokenizers', 'gpt2');
  const vocab = JSON.parse(readFileSync(join(gpt2, 'vocab.json'), 'utf8')) as Record<string, unknown>;
  const merges = readFileSync(join(gpt2, 'merges.txt'), 'utf8');
  await refused(folder({ 'vocab.json': JSON.stringify({ ...vocab, hello: null }), 'merges.txt': merges }), /vocab\.json: token "hello" has id null/);
  await refused(folder({ 'vocab.json': JSON.stringify([1, 2]), 'merges.txt': merges }), /vocab\.json is not a JSON object/);
  await refused(folder({ 'vocab.json': JSON.stringify(vocab), 'merges.txt': `${merges}a b c\n` }), /merges\.txt line \d+ is not two tokens separated by one space/);
  await refused(folder({ 'vocab.json': JSON.stringify(vocab), 'merges.txt': '#version: 0.2\nnull\n' }), /merges\.txt line 2/);
});

test('a normalizer regex that backtracks catastrophically is refused at load, not run', async () => {
  const replace = (pattern: string) => withJson((j) => (j.normalizer = { type: 'Sequence', normalizers: [...j.normalizer.normalizers, { type: 'Replace', pattern: { Regex: pattern }, content: 'x' }] }));
  await refused(replace('.*.*.*.*.*=x'), /the pattern ".*\.\*=x" is refused: .*more than two unbounded repetitions/);
  await refused(replace('(a|a)*b'), /repeated group/);
  await refused(replace('(\\w+\\s?)*$'), /repeated group/);
  await refused(replace('.*=x'), /slows down sharply/);
});

test('a pre-tokenizer Split regex is checked the same way; real split regexes pass', async () => {
  const opt = JSON.parse(readFileSync(join(SHARED, 'models', 'tiny-opt', 'tokenizer.json'), 'utf8')) as Record<string, any>;
  const split = (regex: string) => withSplitPreTokenizer(opt, regex);
  const ok = await loadTokenizer(folder({ 'tokenizer.json': JSON.stringify(split(LLAMA3_SPLIT)) }));
  assert.ok(ok.encode('Hello world, 12345!').length > 0);
  await refused(folder({ 'tokenizer.json': JSON.stringify(split('(x+x+)+y')) }), /repeated group/);
});

test('only BPE models are accepted (every supported family uses BPE)', async () => {
  await refused(
    withJson((j) => (j.model.type = 'Unigram')),
    /tokenizer model "Unigram" is not supported/,
  );
  await refused(
    withJson((j) => (j.model.merges = [['a', 'b'], 'c d'])),
    /merge 1 is "c d"; expected a pair of tokens like the others/,
  );
});
