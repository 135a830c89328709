// kill -9 of the CLI at random points of a slice and an export: the next command finds the runs interrupted
// (not running), takes over the dead process's folder lock, removes its temporaries, and a resumed slice
// writes exactly the model an uninterrupted run writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cli, cliChild, cliJson, models } from './cli-helpers';
import { killWhen, seeded, temps } from './kill-helpers';
import { lockFileFor } from '../../core/files/folder-lock';
import type { RunSummary } from '../../core/api/contract';

const model = join(models, 'tiny-llama');
const sliceArgs = (out: string) => ['slice', model, '--ratio', '0.25', '--nsamples', '4', '--seqlen', '128', '--sampling', 'first', '--seed', '0', '--batch-size', '2', '--out', out];

test('a CLI slice killed with -9 at random points: runs become interrupted, a second slice into the folder is refused meanwhile, and runs resume writes the uninterrupted model', async () => {
  const data = mkdtempSync(join(tmpdir(), 'ss-cli-kill-'));
  try {
    const ref = cliJson<{ result: { artifact: { sha256: string } } }>(data, ...sliceArgs(join(data, 'ref')));
    const out = join(data, 'killed');
    const lock = lockFileFor(out);
    const rand = seeded(2024);
    let refused = '';
    // Random points from the moment the job holds its folder (loading, signals, pca, rotate, checkpoint writes);
    // the last kill waits for a checkpoint so there is something to resume.
    // (Delays stay short: on an idle machine the whole slice takes a few seconds after the lock appears.)
    const plan = [0, 1, 2].map((k) => ({ delay: k === 2 ? 0 : Math.floor(rand() * 1200), needCheckpoint: k === 2 }));
    for (const [k, p] of plan.entries()) {
      const r = await cliChild(data, [...sliceArgs(out), ...(k > 0 ? ['--resume'] : [])], (_text, child) => {
        if (!(child as ChildProcess & { armed?: boolean }).armed) {
          (child as ChildProcess & { armed?: boolean }).armed = true;
          killWhen(child, () => existsSync(lock) && (!p.needCheckpoint || existsSync(join(out, '.checkpoint', 'state.json'))), p.delay);
          if (k === 0) {
            const second = cli(data, ...sliceArgs(out).map((a) => (a === '0.25' ? '0.5' : a)));
            refused = `${second.code} ${second.err.trim()}`;
          }
        }
      });
      assert.equal(r.code, null, `attempt ${k} finished before it was killed: ${r.err}`);
    }
    assert.match(refused, new RegExp(`^1 slice-studio: ${out.replace(/[/.]/g, '\\$&')} is in use by run \\d+ \\(process \\d+\\): wait for it, cancel it, or choose another output$`));

    const runs = cliJson<RunSummary[]>(data, 'runs', '--kind', 'slice');
    assert.equal(runs.filter((r) => r.status === 'running' || r.status === 'queued').length, 0, JSON.stringify(runs.map((r) => [r.id, r.status])));
    const killed = runs.filter((r) => r.status === 'interrupted');
    assert.equal(killed.length, 3);
    const last = killed[0];
    const listed = cli(data, 'runs', '--status', 'interrupted');
    assert.match(listed.out, new RegExp(`^${last.id}\\s+interrupted\\s+slice`, 'm'));
    assert.match(cli(data, 'runs', 'show', String(last.id)).out, new RegExp(`continue it from its checkpoint: slice-studio runs resume ${last.id}`));

    const resumed = cliJson<{ status: string; result: { artifact: { sha256: string }; resumedAt: number | null } }>(data, 'runs', 'resume', String(last.id));
    assert.equal(resumed.status, 'done');
    assert.ok(resumed.result.resumedAt !== null, 'the resume started from scratch');
    assert.equal(resumed.result.artifact.sha256, ref.result.artifact.sha256);
    assert.deepEqual(temps(out), []);
    assert.ok(!existsSync(lock), 'lock left behind');
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('a CLI export killed with -9 leaves no partial file under its name, and the next export removes its temporary', async () => {
  const data = mkdtempSync(join(tmpdir(), 'ss-cli-kill-export-'));
  try {
    const file = join(data, 'exports', 'tl.gguf');
    const args = ['export', model, '--format', 'gguf', '--dtype', 'q8_0', '--out', file];
    const rand = seeded(99);
    // A kill that lands after the atomic rename (while the process records its run and exits) leaves the
    // whole file: allowed, as long as it is byte for byte the file an uninterrupted export writes.
    const landedWhole: Buffer[] = [];
    for (let k = 0; k < 2; k++) {
      const delay = Math.floor(rand() * 800);
      const r = await cliChild(data, args, (_t, child) => {
        if (!(child as ChildProcess & { armed?: boolean }).armed) {
          (child as ChildProcess & { armed?: boolean }).armed = true;
          killWhen(child, () => existsSync(lockFileFor(file)), delay);
        }
      });
      if (r.code === 0)
        rmSync(file); // finished before the kill landed: that point is the end, try again
      else if (existsSync(file)) {
        landedWhole.push(readFileSync(file));
        rmSync(file);
      }
    }
    // export --json prints one document with the job's end status.
    const done = cli(data, ...args, '--json');
    assert.equal(done.code, 0, done.err);
    assert.equal((JSON.parse(done.out) as { status: string }).status, 'done');
    const whole = readFileSync(file);
    for (const f of landedWhole) assert.ok(f.equals(whole), `a partial GGUF under the final name (${f.byteLength} of ${whole.byteLength} bytes)`);
    assert.deepEqual(temps(dirname(file)), []);
    assert.ok(!existsSync(lockFileFor(file)));
    const runs = cliJson<RunSummary[]>(data, 'runs', '--kind', 'export');
    assert.equal(runs.filter((r) => r.status === 'running' || r.status === 'queued').length, 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
