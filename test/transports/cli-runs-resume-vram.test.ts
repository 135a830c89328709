// `runs resume N --vram-gb G`: the CLI's side of the Runs room's lower-VRAM Resume (#11). A slice that ran out
// of GPU memory is offered, in `runs show`, with the --vram-gb its error line suggests, and `runs resume` continues
// it from the checkpoint with the budget given. The slice is real (CLI, tiny-llama, interrupted after its first
// checkpoint); its failure is recorded with the device engine guard's real line at an 8 GiB budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { outOfMemoryLine } from '../slicegpt/oom-line';
import { Store } from '../../core/store/store';
import { sharedModel } from '../shared';
import { inTempDir } from '../recover/rft-fixtures';
import { cli, cliJson, sliceInterruptedAfterFirstCheckpoint, storedRun } from './cli-helpers';

test('runs show offers runs resume N --vram-gb 4 for a slice that ran out of GPU memory at 8; runs resume --vram-gb 4 continues it from its checkpoint with that budget; a negative budget is one line', async () => {
  await inTempDir('ss-cli-resume-vram-', async (data) => {
    const out = join(data, 'oom');
    const args = ['slice', sharedModel('tiny-llama'), '--ratio', '0.25', '--cal', 'wikitext2', '--nsamples', '16', '--seqlen', '128', '--sampling', 'first', '--vram-gb', '8', '--out', out];
    const interrupted = await sliceInterruptedAfterFirstCheckpoint(data, args, out);
    const sent = interrupted.sent;
    assert.ok(sent && interrupted.code === 130, interrupted.err);
    const id = cliJson<{ id: number }[]>(data, 'runs', '--kind', 'slice')[0].id;
    const line = await outOfMemoryLine(8 * 2 ** 30);
    const store = Store.open(join(data, 'slice-studio.db'));
    store.failRun(id, line);
    store.close();

    assert.match(
      cli(data, 'runs', 'show', String(id)).out,
      new RegExp(`continue it from its checkpoint: slice-studio runs resume ${id} --vram-gb 4 \\(run ${id} continues from its checkpoint at layer \\d+ \\(with a lower --vram-gb: it ran out of GPU memory\\)\\)`),
    );

    const bad = cli(data, 'runs', 'resume', String(id), '--vram-gb', '-1');
    assert.equal(bad.code, 1, JSON.stringify(bad));
    assert.equal(bad.err, 'slice-studio: --vram-gb must be a number from 0 to 1048576 (see "slice-studio help")\n', 'one line, before anything else');

    const resumed = cli(data, 'runs', 'resume', String(id), '--vram-gb', '4');
    assert.equal(resumed.code, 0, resumed.err);
    const next = Number(new RegExp(`^run ${id} continued as run (\\d+): `, 'm').exec(resumed.out)?.[1]);
    const run = storedRun(data, next);
    assert.equal(run.settings.vramGb, 4);
    assert.equal(run.settings.resumeOf, id);
    assert.ok(typeof (run.result as { resumedAt?: unknown }).resumedAt === 'number', 'continued from the checkpoint');
  });
});
