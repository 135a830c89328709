import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFront, sizeQualityChart, type SizeQualityPoint } from '../../renderer/src/rooms/runs/size-quality';

// tiny-llama's measured llama.cpp perplexities (first 64 × 256): F16 179.623 (9.7 MiB), Q8_0 179.656 (5.2 MiB); the rest illustrative.
const p = (runId: number, model: string, dtype: string, mib: number, ppl: number): SizeQualityPoint => ({ runId, model, dtype, bytes: mib * 2 ** 20, ppl, protocol: 'wikitext2:test/256x64' });
const points = [p(1, 'tiny-llama', 'f16', 9.7, 179.623), p(2, 'tiny-llama', 'q8_0', 5.2, 179.656), p(3, 'tiny-llama', 'q4_0', 2.9, 190.1), p(4, 'tl-u25', 'q8_0', 4.1, 209.3), p(5, 'tl-u25', 'f16', 7.5, 209.2)];

test('the Pareto front keeps the exports no smaller export beats on perplexity', () => {
  assert.deepEqual(
    paretoFront(points).map((x) => x.runId),
    [3, 2, 1],
  );
});

test('the size × quality chart has one dataset per exported folder (dense included) and the front as a line', () => {
  const c = sizeQualityChart(points);
  assert.deepEqual(
    c.data.datasets.map((d) => d.label),
    ['tiny-llama', 'tl-u25', 'Pareto front'],
  );
  assert.deepEqual(c.data.datasets[0].data, [
    { x: 9.7, y: 179.623, label: 'f16' },
    { x: 5.2, y: 179.656, label: 'q8_0' },
    { x: 2.9, y: 190.1, label: 'q4_0' },
  ]);
});
