// The checks untrusted tokenizer regexes must pass (core/model/regex-safety.ts): shape first (cheap, catches
// exponential patterns before they run), then measured growth on long runs (catches polynomial ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUntrustedRegex, regexShapeProblem } from '../../core/model/regex-safety';

const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3 = "(?:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

test('the split regexes of real tokenizers pass both checks', () => {
  for (const p of [GPT2, LLAMA3, ' {2,}', '\\s+', '▁', '[\\u0000-\\u001f]']) assert.deepEqual(checkUntrustedRegex(p), { ok: true }, p);
});

test('exponential shapes are refused before they run: nested or alternating repetition, backreferences', () => {
  assert.match(regexShapeProblem('(a+)+b')!, /repeated group/);
  assert.match(regexShapeProblem('(a|a)*b')!, /repeated group/);
  assert.match(regexShapeProblem('^(a?){25}a{25}$')!, /repeated group/);
  assert.match(regexShapeProblem('(x+x+)+y')!, /repeated group/);
  assert.match(regexShapeProblem('(a)\\1')!, /backreference/);
  assert.match(regexShapeProblem('.*.*.*.*.*=x')!, /more than two unbounded repetitions/);
  assert.match(regexShapeProblem('a.{0,1000}b.{0,1000}c.{0,1000}')!, /more than two unbounded/);
  assert.equal(regexShapeProblem("(?i:'s|'t)?\\p{L}+"), null);
});

test('polynomial backtracking that the shape allows is caught by its growth', () => {
  const v = checkUntrustedRegex('.*=x');
  assert.equal(v.ok, false);
  assert.match(v.reason!, /slows down sharply on long runs of "a"/);
  assert.equal(checkUntrustedRegex('[a-z]+@[a-z]+\\.com').ok, false);
});
