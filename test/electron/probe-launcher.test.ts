// The provider probe without ELECTRON_RUN_AS_NODE (the RunAsNode fuse is off in the packaged app): the desktop
// shell forks it as a utility process. Node's fork has the same shape, so the launcher runs for real here.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProbeLauncher, probeProvider, setProbeLauncher } from '../../core/hardware/provider-probe';
import { utilityProbeLauncher, type Fork } from '../../electron/probe-launcher';

after(() => setProbeLauncher(nodeProbeLauncher));

const nodeFork: Fork = (modulePath, args) => fork(modulePath, args, { silent: true, env: { PATH: process.env.PATH ?? '' } });

test('the CPU probe runs through a forked module launcher, with no ELECTRON_RUN_AS_NODE anywhere', async () => {
  const forked: string[] = [];
  setProbeLauncher(utilityProbeLauncher((m, a, o) => (forked.push(m), nodeFork(m, a, o))));
  const p = await probeProvider('cpu');
  assert.deepEqual(p, { ep: 'cpu', available: true, reason: 'CPU session started' });
  assert.equal(forked.length, 1);
  assert.match(forked[0], /probe-0\.mjs$/);
  const source = readFileSync(join(import.meta.dirname, '../../core/hardware/provider-probe.ts'), 'utf8');
  assert.ok(!/ELECTRON_RUN_AS_NODE:\s*'1'/.test(source), 'the probe must not switch Electron into node mode');
});

test("the Node launcher's child never sees ELECTRON_RUN_AS_NODE, even when the parent has it", async () => {
  process.env.ELECTRON_RUN_AS_NODE = '1';
  try {
    const child = nodeProbeLauncher('process.stdout.write(String(process.env.ELECTRON_RUN_AS_NODE))', ['a', 'b', 'c']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => child.onExit(() => resolve()));
    assert.equal(out, 'undefined');
  } finally {
    delete process.env.ELECTRON_RUN_AS_NODE;
  }
});
