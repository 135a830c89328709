// The evaluation-speed bench as the GPU machine runs it, on tiny-llama on the CPU: the data comes from the --data
// folder (the device kit's unpacked copy, not the checkout's resources), a limited task is extrapolated to its whole
// set (the measured time plus the rest at the rate after the first chunk, per request character), and one task that
// fails leaves the others' numbers in the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVAL_DATA_FILES, extrapolate, main } from '../../bench/eval-speed';
import { windowsPerGroup } from '../../core/runtime/forward';
import { TASK_INFO } from '../../core/eval/tasks/types';
import { resourcePath } from '../../core/base/paths';
import { sharedModel } from '../shared';
import { testOutputDir } from '../test-output';

test('extrapolate: the measured time plus the units not done at the given rate; a whole set is its measured time', () => {
  assert.equal(extrapolate(10, 20, 200, 8, 20), 10 + 180 * 0.4);
  assert.equal(extrapolate(10, 20, 200, 3, 12), 10 + 180 * 0.25, 'the rate of a later part of the run');
  assert.equal(extrapolate(10, 200, 200, 8, 20), 10);
  assert.equal(extrapolate(10, 20, 200, 8, 0), 10, 'no rate, no extrapolation');
});

interface Task {
  items: number;
  itemsFull: number;
  wallSeconds: number;
  encodeSeconds: number;
  scoreSeconds: number;
  chars: number;
  charsFull: number;
  tokens: number;
  extrapolated: boolean;
  fullSeconds: number;
  extrapolatedSecondsByItems: number;
  extrapolation: { rate: string; items: number; seconds: number; chars: number };
}

test('windowsPerGroup: windows per group of the perplexity walk, 1 GiB of float32 activations in whole batches (LLaMA-2-7B at 256 tokens: 256)', () => {
  assert.equal(windowsPerGroup(256, 4096, 8), 256);
  assert.equal(windowsPerGroup(2048, 8192, 8), 16);
  assert.equal(windowsPerGroup(4096, 8192, 8), 8);
  assert.equal(windowsPerGroup(256, 4096, 48), 240);
});

test('eval-speed on tiny-llama: data from --data, limited tasks extrapolated, a failing task keeps the others', async () => {
  const dir = testOutputDir('eval-speed-');
  try {
    // The device kit's layout: exactly EVAL_DATA_FILES under one folder; WinoGrande's rows made unreadable.
    const data = join(dir, 'res');
    for (const f of EVAL_DATA_FILES) {
      mkdirSync(join(data, f, '..'), { recursive: true });
      copyFileSync(resourcePath(f), join(data, f));
    }
    writeFileSync(join(data, 'evals/winogrande/dev.jsonl'), 'not json\n');
    const json = join(dir, 'report.json');
    const args = ['--model', sharedModel('tiny-llama'), '--ep', 'cpu', '--limit', '5', '--chunk-docs', '2', '--ppl-windows', '2', '--tasks', 'piqa,winogrande,arc_challenge', '--data', data, '--json', json];
    await main(args);
    process.exitCode = 0; // main flags the failed task for the shell; the test asserts it instead
    const r = JSON.parse(readFileSync(json, 'utf8')) as {
      complete: boolean;
      timingOnly: boolean;
      data: string;
      ppl: { windows: number; corpusWindows: number; wallSeconds: number; forwardSeconds: number; fullSeconds: number; extrapolated: boolean; extrapolation?: { rate: string; windowsPerGroup: number } };
      tasks: Record<string, Task>;
      errors: { phase: string; error: string }[];
      phases: { phase: string; seconds: number; peakRssBytes: number }[];
      totals: { fullSeconds: number; extrapolated: boolean };
    };
    assert.equal(r.complete, true);
    assert.equal(r.timingOnly, false, 'a real model folder is not timing-only');
    assert.equal(r.data, data);
    assert.deepEqual(Object.keys(r.tasks), ['piqa', 'arc_challenge']);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].phase, 'task:winogrande');
    assert.match(r.errors[0].error, /winogrande|dev\.jsonl|JSON/i);
    assert.deepEqual(
      r.phases.map((p) => p.phase),
      ['ppl', 'task:piqa', 'task:arc_challenge'],
    );
    for (const p of r.phases) assert.ok(p.peakRssBytes > 0 && p.seconds > 0, p.phase);

    assert.equal(r.ppl.windows, 2);
    assert.ok(r.ppl.corpusWindows > 1000, `WikiText-2 test has ${r.ppl.corpusWindows} windows of 256 tiny-llama tokens`);
    assert.equal(r.ppl.extrapolated, true);
    // Two windows are one group of the walk: the rate is the whole run's (the first group's layer loads included).
    assert.equal(r.ppl.extrapolation?.rate, 'all');
    const pplFull = r.ppl.wallSeconds - r.ppl.forwardSeconds + (r.ppl.forwardSeconds * r.ppl.corpusWindows) / r.ppl.windows;
    // forwardSeconds is rounded to the millisecond, then scaled by corpusWindows / windows
    assert.ok(Math.abs(r.ppl.fullSeconds - pplFull) < 0.06 + (5e-4 * r.ppl.corpusWindows) / r.ppl.windows, `${r.ppl.fullSeconds} vs ${pplFull}`);

    let sum = r.ppl.fullSeconds;
    for (const [name, t] of Object.entries(r.tasks)) {
      assert.equal(t.items, 5, name);
      assert.equal(t.itemsFull, TASK_INFO[name as keyof typeof TASK_INFO].size, name);
      assert.equal(t.extrapolated, true, name);
      assert.ok(t.tokens > 0 && t.chars > 0 && t.charsFull > 100 * t.chars, name);
      // chunks of 2 items: the rate is the last 3 items' (after the first chunk), their characters only
      assert.equal(t.extrapolation.rate, 'steady', name);
      assert.equal(t.extrapolation.items, 3, name);
      assert.ok(t.extrapolation.chars > 0 && t.extrapolation.chars < t.chars, name);
      assert.ok(t.extrapolation.seconds > 0 && t.extrapolation.seconds < t.wallSeconds, name);
      const { seconds, chars, items } = t.extrapolation;
      const byChars = t.wallSeconds + ((t.charsFull - t.chars) * seconds) / chars;
      const byItems = t.wallSeconds + ((t.itemsFull - t.items) * seconds) / items;
      // the report rounds its seconds (3 decimals for wall clocks, 6 for the rate, 1 for the extrapolations)
      assert.ok(Math.abs(t.fullSeconds - byChars) < 0.06 + 2e-3 * byChars, `${name}: ${t.fullSeconds} vs ${byChars}`);
      assert.ok(Math.abs(t.extrapolatedSecondsByItems - byItems) < 0.06 + 2e-3 * byItems, `${name}: ${t.extrapolatedSecondsByItems} vs ${byItems}`);
      sum += t.fullSeconds;
    }
    assert.equal(r.totals.extrapolated, true);
    assert.ok(Math.abs(r.totals.fullSeconds - sum) < 0.2, `${r.totals.fullSeconds} vs ${sum}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
