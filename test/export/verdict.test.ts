// verify-export's verdict: the export's perplexity against the app's within the tolerance for its dtype, and
// for float32 also the same greedy tokens (a quantized export may flip a near-tie and drift from there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportVerdict, PPL_TOLERANCE } from '../../core/export/verdict';

const cmp = (pplRelativeDifference: number, firstDifference = -1) => ({ pplRelativeDifference, greedyIdentical: firstDifference < 0, firstDifference });

test('a q8_0 GGUF 0.13 % off with greedy tokens differing from position 3 passes, saying both', () => {
  const v = exportVerdict('q8_0', cmp(0.0013, 3));
  assert.equal(v.pass, true);
  assert.equal(v.tolerance, PPL_TOLERANCE.q8_0);
  assert.equal(v.line, "PASS: perplexity 0.13 % from the app's, within the 2.00 % allowed for a q8_0 export; greedy tokens differ from position 3 (allowed: narrower weights can flip a near-tie)");
});

test('beyond the tolerance for its dtype an export fails', () => {
  assert.equal(exportVerdict('q8_0', cmp(0.021)).pass, false);
  assert.match(exportVerdict('f16', cmp(0.02)).line, /^FAIL: perplexity 2\.00 % from the app's, more than the 1\.00 % allowed for a f16 export; greedy tokens identical$/);
  assert.equal(exportVerdict('q4_0', cmp(0.05)).pass, true);
  assert.equal(exportVerdict('f32', cmp(Number.NaN)).pass, false);
});

test('a float32 export must also continue the prompt with the same tokens', () => {
  assert.equal(exportVerdict('f32', cmp(0)).pass, true);
  const v = exportVerdict('f32', cmp(0, 5));
  assert.equal(v.pass, false);
  assert.match(v.line, /^FAIL: .*; greedy tokens differ from position 5$/);
});

test('an export without a recorded dtype is judged by the loosest tolerance and says so', () => {
  const v = exportVerdict(null, cmp(0.05));
  assert.equal(v.pass, true);
  assert.match(v.line, /allowed for an export of unrecorded dtype/);
});
