// `runs show` and `runs resume` for a recovery say what the Runs room says: the Resume button's reason
// (core/api/resumability.ts: "run N continues from its checkpoint at step S"), then "resumed as run M" on
// the stopped run and "continues run N" on its continuation; `runs resume` follows the recover job and
// ends with the continuation's steps, loss and merged folder (the room's new row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cli, cliChild, cliJson } from './cli-helpers';
import { killWhen } from './kill-helpers';
import { inTempDir, sliceTiny } from '../recover/rft-fixtures';

test('a killed recovery: runs show offers runs resume with the Runs room’s reason; runs resume continues it and says how; both runs then name each other', async () => {
  await inTempDir('ss-cli-resume-rft-', async (data) => {
    const sliced = sliceTiny(data);
    const out = join(data, 'recovered');
    const args = ['recover', sliced, '--data', 'wikitext2', '--rank', '4', '--steps', '8', '--seqlen', '32', '--batch', '2', '--lr', '1e-3', '--checkpoint-every', '2', '--out', out];
    const killed = await cliChild(data, args, (_t, child) => {
      const c = child as ChildProcess & { armed?: boolean };
      if (c.armed) return;
      c.armed = true;
      killWhen(child, () => existsSync(join(out, '.recover')) && readdirSync(join(out, '.recover')).some((f) => /^ckpt-\d+$/.test(f)), 0);
    });
    assert.equal(killed.code, null, `the run finished before it was killed: ${killed.err}`);
    const runs = cliJson<{ id: number; settings: Record<string, unknown> }[]>(data, 'runs', '--kind', 'slice');
    const stopped = runs.find((r) => r.settings['job'] === 'recover')!;
    assert.ok(stopped, 'the killed recovery is recorded');

    const shown = cli(data, 'runs', 'show', String(stopped.id));
    const reason = new RegExp(`continue it from its checkpoint: slice-studio runs resume ${stopped.id} \\(run ${stopped.id} continues from its checkpoint at step (\\d+)\\)`);
    const step = Number(reason.exec(shown.out)?.[1]);
    assert.ok(step >= 2 && step < 8, shown.out);

    const resumed = cli(data, 'runs', 'resume', String(stopped.id));
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, new RegExp(`run ${stopped.id} continues from its checkpoint at step ${step}`));
    const done = new RegExp(`^run ${stopped.id} continued as run (\\d+): 8 steps \\(resumed at ${step}, on the one-graph step\\), loss \\d+\\.\\d{4} → \\d+\\.\\d{4}; merged model in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');
    const next = Number(done.exec(resumed.out)?.[1]);
    assert.ok(next > stopped.id, resumed.out);

    assert.match(cli(data, 'runs', 'show', String(stopped.id)).out, new RegExp(`^  resumed as run ${next}$`, 'm'));
    const after = cli(data, 'runs', 'show', String(next)).out;
    assert.match(after, new RegExp(`^  continues run ${stopped.id}$`, 'm'));
    assert.doesNotMatch(after, /runs resume/, 'a finished run offers no resume');
  });
});
