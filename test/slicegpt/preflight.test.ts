// A slice the machine cannot hold is refused before any work, with one line saying what it needs and what
// is free: disk (output + checkpoint + spilled activations) and memory, as the planner predicts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { parseConfig } from '../../core/model/config';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { InsufficientResourcesError, preflight } from '../../core/slicegpt/preflight';
import { sharedData, sharedModel } from '../shared';
import { mountTmpfs, tmpfsSkip } from '../files/tmpfs';

const root = join(import.meta.dirname, '../..');
const llama70b = parseConfig(JSON.parse(readFileSync(sharedData('configs', 'llama-2-70b-hf.json'), 'utf8')));
const base = { out: '/nonexistent/out', ratio: 0.25, nsamples: 128, seqlen: 2048, ep: 'webgpu', round: 8, rotation: 'per-layer' as const, resume: false };
const oneLine = (e: unknown, re: RegExp) => e instanceof InsufficientResourcesError && re.test(e.message) && !e.message.includes('\n');

test('a 70B slice on a disk with 100 GiB free is refused: it names the bytes needed (model, checkpoint, spill past the 4 GiB GPU and RAM budgets) and free', () => {
  assert.throws(
    () => preflight(llama70b, base, { diskBytes: 100 * 2 ** 30, ramBytes: 2 ** 40 }),
    (e: unknown) => oneLine(e, /^not enough disk space for this slice: it needs about \d+ GiB \(model \d+ GiB, checkpoint [\d.]+ GiB, spilled activations [\d.]+ GiB\) in \/nonexistent\/out, and 100 GiB is free$/),
  );
});

test('a 70B slice with 16 GiB of RAM available is refused for memory; with enough of both it passes and returns the prediction', () => {
  assert.throws(
    () => preflight(llama70b, base, { diskBytes: 2 ** 42, ramBytes: 16 * 2 ** 30 }),
    (e: unknown) => oneLine(e, /^not enough memory for this slice: it needs about [\d.]+ GiB of RAM and 16.0 GiB is available/),
  );
  const p = preflight(llama70b, base, { diskBytes: 2 ** 42, ramBytes: 2 ** 40 });
  assert.ok(p.disk.totalBytes > 200 * 2 ** 30 && p.peakRamBytes > 16 * 2 ** 30);
});

test('a resumed run (output partly written already) is not refused for disk', () => {
  assert.doesNotThrow(() => preflight(llama70b, { ...base, resume: true }, { diskBytes: 2 ** 30, ramBytes: 2 ** 40 }));
});

test('sliceModel refuses before any work when the spilled activations would not fit this disk (10⁶ calibration windows), and creates no output folder', async () => {
  mkdirSync(join(root, 'test-output'), { recursive: true });
  const out = join(root, 'test-output', `preflight-${process.pid}`);
  await assert.rejects(
    sliceModel(quietContext(), { model: sharedModel('tiny-llama'), ratio: 0.25, cal: 'wikitext2', nsamples: 1_000_000, seqlen: 512, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false }),
    (e: unknown) => oneLine(e, /^not enough disk space for this slice: it needs about \d+ GiB \(model .*, spilled activations \d+ GiB\)/),
  );
  assert.equal(existsSync(out), false);
});

test('--ram-gb below what a tiny-llama slice needs is refused by `slice` before any layer runs: one line with both numbers, no output folder', async () => {
  const { cli } = await import('../transports/cli-helpers');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const data = mkdtempSync(join(tmpdir(), 'ss-preflight-cli-'));
  const out = join(data, 'out');
  const r = cli(data, 'slice', sharedModel('tiny-llama'), '--ratio', '0.25', '--nsamples', '4', '--seqlen', '64', '--out', out, '--ram-gb', '0.01');
  assert.notEqual(r.code, 0);
  const lines = r.err.trim().split('\n');
  assert.match(lines.at(-1)!, /not enough memory for this slice: it needs about [\d.]+ (MiB|GiB) of RAM and --ram-gb allows 10\.2 MiB \(fewer calibration tokens/);
  assert.ok(!r.err.includes('    at '), r.err);
  assert.ok(!/progress|layer \d/i.test(r.err.split('not enough')[0]), `work started before the refusal: ${r.err}`);
  assert.equal(existsSync(out), false);
  const { rmSync } = await import('node:fs');
  rmSync(data, { recursive: true, force: true });
});

test('the GPU memory the slice job detects is checked before work: 7B at --vram-gb 8 on a 16 GiB GPU is refused naming the --vram-gb that fits, which then passes', () => {
  const llama7b = parseConfig(JSON.parse(readFileSync(sharedData('configs', 'llama-2-7b-hf.json'), 'utf8')));
  const gpu = { ...base, deviceBudgetBytes: 8 * 2 ** 30, deviceMemoryBytes: 16 * 2 ** 30, outputBytesPerWeight: 2 };
  const room = { diskBytes: 2 ** 42, ramBytes: 2 ** 40 };
  assert.throws(
    () => preflight(llama7b, gpu, room),
    (e: unknown) => oneLine(e, /^not enough GPU memory for this slice: it needs about 19\.8 GiB of VRAM \(.*\) and the GPU has 16\.0 GiB; --vram-gb 4\.2 fits/),
  );
  assert.ok(preflight(llama7b, { ...gpu, deviceBudgetBytes: 4.2 * 2 ** 30 }, room).peakVramBytes! <= 16 * 2 ** 30);
  // the CPU EP has no GPU memory to check
  assert.doesNotThrow(() => preflight(llama7b, { ...gpu, ep: 'cpu' }, room));
});

test('a 70B slice on an 8 GiB GPU cannot fit by --vram-gb alone: the refusal says so and names --batch-size and --seqlen', () => {
  assert.throws(
    () => preflight(llama70b, { ...base, deviceBudgetBytes: 2 ** 30, deviceMemoryBytes: 8 * 2 ** 30 }, { diskBytes: 2 ** 42, ramBytes: 2 ** 40 }),
    (e: unknown) => oneLine(e, /the GPU has 8\.00 GiB; even with no activations kept on it \(--vram-gb 0\) it needs [\d.]+ GiB: fewer windows per pass \(--batch-size\) or a shorter --seqlen$/),
  );
});

test('`slice --out` on a real 1 MiB filesystem is refused before any layer runs: one line with the bytes needed and free, no output folder', { skip: tmpfsSkip }, async () => {
  const { cli } = await import('../transports/cli-helpers');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const data = mkdtempSync(join(tmpdir(), 'ss-preflight-disk-'));
  const fs = mountTmpfs(1 << 20);
  try {
    const out = join(fs.dir, 'out');
    const r = cli(data, 'slice', sharedModel('tiny-llama'), '--ratio', '0.25', '--nsamples', '4', '--seqlen', '64', '--out', out);
    assert.notEqual(r.code, 0);
    assert.match(
      r.err.trim().split('\n').at(-1)!,
      new RegExp(`^slice-studio: not enough disk space for this slice: it needs about [\\d.]+ MiB \\(model [\\d.]+ MiB, checkpoint [\\d.]+ (KiB|MiB)\\) in ${out.replace(/[/.]/g, '\\$&')}, and [\\d.]+ (KiB|MiB) is free$`),
    );
    assert.equal(existsSync(out), false);
  } finally {
    fs.unmount();
    rmSync(data, { recursive: true, force: true });
  }
});
