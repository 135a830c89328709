// A short seeded slice of the fuzz benchmark (`npm run bench -- fuzz` runs 10,000 inputs per parser): every
// parser, 150 mutated inputs each, must end each input with a result or one of the project's own user
// errors — no crash, no hang (2 s of CPU), no file read outside the model folder, no multi-line message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzTarget, failures } from '../../bench/lib/fuzz/harness';
import { TARGETS } from '../../bench/lib/fuzz/targets';

const N = 150;
const SEED = 20261206;

// Two parsers at a time: each runs in its own child process, judged by that child's CPU time.
test(`fuzz: ${N} mutated inputs per parser, 0 crashes, 0 hangs`, { concurrency: 2 }, async (t) => {
  const runs = Object.keys(TARGETS).map((name) =>
    t.test(`${name}`, async () => {
      const r = await fuzzTarget(name, { targets: [name], n: N, seed: SEED });
      assert.equal(r.inputs, N);
      const found = Object.entries(r.examples).filter(([k]) => k !== 'slowest' && k !== 'user-error');
      assert.equal(failures(r), 0, JSON.stringify(found).slice(0, 2000));
      // The mutations reach the parser's refusals and also leave inputs it accepts.
      assert.ok(r.userErrors > 0 && r.ok > 0 && r.ok + r.userErrors === N, JSON.stringify({ ok: r.ok, userErrors: r.userErrors }));
    }),
  );
  await Promise.all(runs);
});
