// base/quiet.ts: background work (the slice's prefetch) waits while a span (a PCA, the weight products) is open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quiet } from '../../core/base/quiet';

const tick = () => new Promise((r) => setImmediate(r));

test('turn() resolves at once with no span open, and only after the last of nested spans ends otherwise', async () => {
  const q = new Quiet();
  const order: string[] = [];
  await q.turn().then(() => order.push('free'));
  let endOuter!: () => void;
  let endInner!: () => void;
  const outer = q.during(() => new Promise<void>((r) => (endOuter = r)));
  const inner = q.during(() => new Promise<void>((r) => (endInner = r)));
  assert.equal(q.open, true);
  const waiting = q.turn().then(() => order.push('background'));
  await tick();
  endInner();
  await inner;
  await tick();
  assert.deepEqual(order, ['free'], 'one span still open: the background work still waits');
  order.push('span ends');
  endOuter();
  await outer;
  await waiting;
  assert.deepEqual(order, ['free', 'span ends', 'background']);
  assert.equal(q.open, false);
});

test('a span that throws still lets the waiting work go, and its error reaches the caller', async () => {
  const q = new Quiet();
  let went = false;
  const failing = q.during(async () => {
    await tick();
    throw new Error('device lost');
  });
  const waiting = q.turn().then(() => (went = true));
  await assert.rejects(failing, /device lost/);
  await waiting;
  assert.equal(went, true);
});
