// The CLI's progress line when stderr is piped (a log, CI): sparse lines, each with the time left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobProgressEvent } from '../../core/jobs/events';
import { LiveLine, progressLine } from '../../core/transports/cli/live-line';

const event = (phase: string, fraction: number, extra: Partial<JobProgressEvent> = {}): JobProgressEvent => ({
  type: 'progress',
  jobId: 'j',
  runId: 1,
  kind: 'ppl',
  at: 0,
  phase,
  fraction,
  ...extra,
});

test('piped, a 2-minute perplexity of 236 progress events writes about a dozen lines, not 236', () => {
  const lines: string[] = [];
  let clock = 0;
  const live = new LiveLine({ err: (t) => lines.push(t) }, { tty: false, now: () => clock });
  live.progress(event('load', 0));
  clock = 7000;
  live.progress(event('tokenize', 0.05));
  for (let i = 0; i < 236; i++) {
    clock = 8000 + i * 500;
    live.progress(event('ppl', 0.06 + (0.94 * i) / 235));
  }
  assert.ok(lines.length >= 5 && lines.length <= 15, `${lines.length} lines:\n${lines.join('\n')}`);
  // Every line after the pace is known says how long is left (the ppl job gives no estimate of its own).
  const ppl = lines.filter((l) => / ppl/.test(l) && !/100%/.test(l));
  assert.ok(ppl.length >= 3);
  for (const l of ppl.slice(1)) assert.match(l, /\((\d+ s|\d+ min) left\)$/);
});

test("a job's own estimate is shown as it is; without fraction or pace there is none", () => {
  assert.equal(progressLine(event('pca', 0.5, { layer: 2, layers: 4, etaSeconds: 12.2 })), ' 50% pca layer 3/4 (13 s left)');
  assert.equal(progressLine(event('rotate', 0.5, { etaSeconds: 600 })), ' 50% rotate (10 min left)');
  assert.equal(progressLine(event('load', 0)), '  0% load');
});
