// The planner tells which sliced widths fill GGUF K-quant blocks (256) and what the neighbouring choices cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ggufRounding } from '../../core/plan/gguf-rounding';
import { countParams, slicedShapes } from '../../core/plan/params';
import { parseFormat } from '../../core/plan/formats';
import { published } from './configs';

const llama3 = published('meta-llama-3-8b');
const o = { rotation: 'uniform' as const, sliceHead: true, format: parseFormat('q4_k') };

test('a slice of Llama-3-8B to d = 2864 falls back and is offered d = 2816 and d = 3072 with their ratios and exact parameter deltas', () => {
  const r = ggufRounding(llama3, 2864, o)!;
  assert.equal(r.fits, false);
  assert.deepEqual(
    r.choices.map((c) => [c.d, c.ratio]),
    [
      [2816, 1 - 2816 / 4096],
      [3072, 0.25],
    ],
  );
  const params = (d: number) => countParams(slicedShapes(llama3, { ratio: 1 - (d + 0.5) / 4096, round: 1, rotation: 'uniform', sliceHead: true })).total;
  assert.equal(r.choices[0].deltaParams, params(2816) - params(2864));
  assert.ok(r.choices[0].deltaParams < 0 && r.choices[1].deltaParams > 0);
  // 2864 is not even a multiple of 32, so its d-wide rows fall back to F16: the larger d = 3072 is fewer bytes.
  assert.ok(r.choices[1].deltaBytes < 0);
  assert.match(r.line, /^d = 2864 is not a multiple of 256: .* d = 2816 \(31\.3 % sliced, -[\d,]+ parameters\) or d = 3072 \(25\.0 % sliced, \+[\d,]+ parameters\) avoids it/);
});

test('a multiple of 256 keeps the K-quant type; a dense width or one below a block has nothing to offer', () => {
  assert.equal(ggufRounding(llama3, 3072, o)!.fits, true);
  assert.equal(ggufRounding(llama3, 4096, o), null);
  const narrow = { ...llama3, hiddenSize: 192 };
  assert.equal(ggufRounding(narrow, 160, o), null);
});

test('an MLP width that is not a multiple of 256 is named: ffn_down falls back whatever d is', () => {
  const r = ggufRounding({ ...llama3, intermediateSize: 14000 }, 3072, o)!;
  assert.equal(r.intermediateFits, false);
  assert.match(r.line, /ffn_down falls back anyway \(MLP width 14000/);
});
