// The event loop's stalls (core/base/loop-delay.ts): synchronous work that holds the loop is counted in the span
// that saw it, time spent awaiting (the loop free) is not, and laps.ts `timedWait` records a waited step's
// `.blocked` part only while the monitor runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loopMark, loopMonitorRunning, loopSince, startLoopMonitor } from '../../core/base/loop-delay';
import { timedWait } from '../../core/base/laps';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a span counts the synchronous work that held the loop, not the time it awaited', async () => {
  const stop = startLoopMonitor();
  try {
    await sleep(30);
    const idle = loopMark();
    await sleep(200);
    const i = loopSince(idle);
    // An idle loop runs its timer on time (a loaded CI machine may still delay a tick a little).
    assert.ok(i.blocked < 0.1, `idle: ${JSON.stringify(i)}`);
    const held = loopMark();
    busy(150);
    await sleep(20);
    busy(60);
    const h = loopSince(held);
    assert.ok(h.blocked >= 0.18 && h.blocked < 0.4, `held: ${JSON.stringify(h)}`);
    assert.ok(h.maxStall >= 0.13 && h.maxStall < 0.3, `held: ${JSON.stringify(h)}`);
    assert.ok(h.stalls >= 2, `held: ${JSON.stringify(h)}`);
    // A span read before the timer's next tick still sees the stall in progress (a promise can resolve first).
    const quick = loopMark();
    busy(100);
    const q = loopSince(quick);
    assert.ok(q.blocked >= 0.08, `quick: ${JSON.stringify(q)}`);
  } finally {
    stop();
  }
  assert.equal(loopMonitorRunning(), false);
});

test("timedWait: a waited step's .blocked is the loop held by other work meanwhile, only while the monitor runs", async () => {
  const off: Record<string, number> = {};
  await timedWait(off, 'step', () => sleep(20));
  assert.deepEqual(Object.keys(off), ['step']);
  const stop = startLoopMonitor();
  const stopToo = startLoopMonitor();
  stopToo();
  assert.equal(loopMonitorRunning(), true, 'starts nest');
  try {
    const t: Record<string, number> = {};
    // Other work holds the loop for 120 ms while the step waits 50 ms for something outside.
    setTimeout(() => busy(120), 10);
    await timedWait(t, 'step', () => sleep(50));
    assert.ok(t.step >= 0.12, `step ${t.step}`);
    assert.ok(t['step.blocked'] >= 0.09 && t['step.blocked'] <= t.step, `blocked ${t['step.blocked']} of ${t.step}`);
    const u: Record<string, number> = {};
    await timedWait(u, 'step', () => sleep(60));
    assert.ok(u['step.blocked'] < 0.04, `nothing else ran: ${u['step.blocked']}`);
  } finally {
    stop();
  }
});
