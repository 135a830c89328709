// Issue #11: "VRAM exhausted names the flag to lower". The device engine's passes (the GPU path, run here on
// the CPU EP) in a child process whose data segment is limited (`ulimit -d`, Linux): ORT's own arena fails to
// allocate the attention scores of a batch, as a GPU's allocator does when VRAM is exhausted, and the job's
// error is one line naming --vram-gb (and --batch-size), which the app treats as resumable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { resumability } from '../../core/api/resumability';
import type { RunRow } from '../../core/store/types';
import { suggestedVramGb } from '../../core/plan/vram-advice';

const child = join(import.meta.dirname, 'device-oom-child.ts');
const skip = process.platform !== 'linux' ? 'needs Linux (ulimit -d limits what ORT may allocate)' : false;

/** The child's outcome at batch × seq windows of tiny-llama, with at most `limitKiB` of data segment. */
function attentionUnderLimit(limitKiB: number, batch: number, seq: number): { ok: boolean; name?: string; message?: string; user?: boolean; shown?: string } {
  const out = execFileSync('sh', ['-c', `ulimit -d ${limitKiB} && exec "$0" --import tsx "$1" "$2" "$3"`, process.execPath, child, String(batch), String(seq)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

test('an allocation ORT cannot make in a pass (16 windows × 4096 tokens: 8 GiB of attention scores, 3 GB allowed) is one line naming --vram-gb and --batch-size, and is resumable', { skip }, () => {
  const r = attentionUnderLimit(3_000_000, 16, 4096);
  assert.equal(r.ok, false);
  assert.equal(r.name, 'DeviceMemoryError', r.message);
  assert.equal(
    r.message,
    'the GPU ran out of memory in the attention pass (failed to allocate 8.00 GiB): lower --vram-gb (GiB of activations kept on the GPU, 4 now; try --vram-gb 2) and resume (--resume), or use a smaller --batch-size (windows per pass; starts over)',
  );
  // a user error: shown as it is, one line, no ORT source path or stack
  assert.equal(r.user, true);
  assert.equal(r.shown, r.message);
  // the value the Runs room prefills for a resume with a lower budget (the child's engine kept the default 4 GiB)
  assert.equal(suggestedVramGb(r.message!), 2);
  // the app counts it as an interruption, not a failure of the settings (no checkpoint here, so it says that)
  const run = { id: 1, kind: 'slice', status: 'failed', error: r.message, settings: { model: 'm', out: join(import.meta.dirname, 'no-such-out') } } as unknown as RunRow;
  assert.match(resumability(run, false).reason, /stopped before finishing a layer, so there is no checkpoint/);
});

test('under the same limit a batch that fits runs (the limit, not the pass, made the failure)', { skip }, () => {
  assert.deepEqual(attentionUnderLimit(3_000_000, 2, 256), { ok: true });
});
