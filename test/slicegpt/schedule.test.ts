import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSchedule, slicedWidth } from '../../core/slicegpt/schedule';
import { toSlicingConfig } from '../../core/slicegpt/slicing-config';
import { SliceOptionsError } from '../../core/slicegpt/errors';

test('d = floor((1 − ratio)·D) rounded down to a multiple of round', () => {
  assert.deepEqual(
    [0, 0.1, 0.2, 0.25, 0.3, 0.5].map((r) => slicedWidth(256, r)),
    [256, 224, 200, 192, 176, 128],
  );
  assert.deepEqual(
    [0.1, 0.2, 0.25, 0.3, 0.5].map((r) => slicedWidth(64, r)),
    [56, 48, 48, 40, 32],
  );
  assert.equal(slicedWidth(4096, 0.25), 3072);
  assert.equal(slicedWidth(4096, 0.3, 1), 2867);
  assert.equal(slicedWidth(1000, 0.3, 1), 700);
});

test('bad ratios and rounds are one-line option errors', () => {
  assert.throws(() => slicedWidth(256, 1), SliceOptionsError);
  assert.throws(() => slicedWidth(256, -0.1), SliceOptionsError);
  assert.throws(() => slicedWidth(256, 0.5, 0), SliceOptionsError);
  assert.throws(() => slicedWidth(4, 0.9, 8), SliceOptionsError);
});

test('the head stays unsliced by default: the last block writes the full width', () => {
  const s = makeSchedule({ hiddenSize: 256, layers: 3, parallelBlocks: false, ratio: 0.25 });
  assert.equal(s.head, 256);
  assert.deepEqual(s.perLayer, [
    { attnInput: 192, attnOutput: 192, mlpInput: 192, mlpOutput: 192 },
    { attnInput: 192, attnOutput: 192, mlpInput: 192, mlpOutput: 192 },
    { attnInput: 192, attnOutput: 192, mlpInput: 192, mlpOutput: 256 },
  ]);
  const h = makeSchedule({ hiddenSize: 256, layers: 3, parallelBlocks: false, ratio: 0.25, sliceHead: true });
  assert.equal(h.head, 192);
  assert.equal(h.perLayer[2].mlpOutput, 192);
});

test('slicing_config.json carries the reference SlicingConfig fields', () => {
  const s = makeSchedule({ hiddenSize: 256, layers: 2, parallelBlocks: true, ratio: 0.5 });
  const c = toSlicingConfig(s, 1);
  assert.deepEqual(Object.keys(c), [
    'hidden_size',
    'layers_num',
    'do_slice_head',
    'parallel_blocks',
    'embedding_dimensions',
    'attention_input_dimensions',
    'attention_output_dimensions',
    'mlp_input_dimensions',
    'mlp_output_dimensions',
    'head_dimension',
    'const_dimension',
  ]);
  assert.deepEqual(c.embedding_dimensions, { '0': 128 });
  assert.deepEqual(c.mlp_output_dimensions, { '0': 128, '1': 256 });
  assert.equal(c.head_dimension, 256);
  assert.equal(c.parallel_blocks, true);
});
