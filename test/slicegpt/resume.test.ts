import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderFiles } from './helpers';

const here = dirname(fileURLToPath(import.meta.url));
const child = resolve(here, 'resume-child.ts');

/** Run the child; with `killAfter` progress lines, SIGKILL it right after that many. Resolves with what happened. */
function run(out: string, resume: boolean, killAfter: number | undefined, engine: 'host' | 'device'): Promise<{ killed: boolean; resumedAt: string | null; lines: number }> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, 'tiny-stories', out, resume ? '1' : '0', '0.25', engine], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let resumedAt: string | null = null;
    let buf = '';
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('progress')) lines++;
        if (line.startsWith('done')) resumedAt = line.split(' ')[1];
        if (killAfter !== undefined && lines === killAfter) p.kill('SIGKILL');
      }
    });
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') ok({ killed: true, resumedAt, lines });
      else if (code === 0) ok({ killed: false, resumedAt, lines });
      else fail(new Error(`child exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

// The device engine (on the CPU EP) writes each checkpoint while the next layer runs (checkpoint-queue.ts):
// kills land in the middle of those writes too.
for (const engine of ['host', 'device'] as const)
  test(`a slicing run (${engine} engine) SIGKILLed at random points and resumed each time writes a model bit-identical to an uninterrupted run`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slice-resume-'));
    try {
      const ref = join(dir, 'ref');
      const clean = await run(ref, false, undefined, engine);
      assert.equal(clean.killed, false);
      assert.ok(clean.lines > 20, `only ${clean.lines} progress events`);

      const out = join(dir, 'killed');
      // Kill points (seeded, so the test is repeatable): 3–12 progress events into each attempt, i.e. inside a
      // layer's phases or while its checkpoint is being written (a layer emits 7 events, then saves).
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0), seed / 2 ** 32);
      let kills = 0;
      let resumedLater = false;
      for (let attempt = 0; attempt < 12; attempt++) {
        const killAfter = attempt < 5 ? 3 + Math.floor(rand() * 10) : undefined;
        const r = await run(out, attempt > 0, killAfter, engine);
        if (r.killed) {
          kills++;
          continue;
        }
        if (r.resumedAt !== null && r.resumedAt !== 'null') resumedLater = true;
        break;
      }
      assert.ok(kills >= 3, `only ${kills} kills landed`);
      assert.ok(resumedLater, 'the final run did not resume from a checkpoint');
      assert.ok(!existsSync(join(out, '.checkpoint')), 'checkpoint left behind');
      const a = folderFiles(ref);
      const b = folderFiles(out);
      assert.deepEqual([...b.keys()], [...a.keys()]);
      for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
