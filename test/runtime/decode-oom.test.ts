// Issue #14, bad input: "a GPU out of memory mid-run (one line, CPU fallback offered)". The KV-cache step that
// generation and the speed bench share (decode-step.ts forwardCached), run on the CPU EP in a child process
// whose data segment is limited (`ulimit -d`, Linux): ORT's own arena fails to allocate a prefill's attention
// scores, as a GPU's allocator does when VRAM is exhausted, and the job's error is one line — on a GPU EP
// offering the CPU (--ep cpu), on the CPU naming what to shorten — never ORT's multi-line trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const child = join(import.meta.dirname, 'decode-oom-child.ts');
const skip = process.platform !== 'linux' ? 'needs Linux (ulimit -d limits what ORT may allocate)' : false;

interface Outcome {
  ok: boolean;
  name?: string;
  message?: string;
  user?: boolean;
  shown?: string;
  gpu?: string | null;
}

/** The child's outcome for a bench prefill of `batch` × `seq` tokens of tiny-stories, with at most `limitKiB` of data segment. */
function prefillUnderLimit(limitKiB: number, batch: number, seq: number): Outcome {
  const out = execFileSync('sh', ['-c', `ulimit -d ${limitKiB} && exec "$0" --import tsx "$1" "$2" "$3"`, process.execPath, child, String(batch), String(seq)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Outcome;
}

test('an allocation ORT cannot make while decoding (1024 rows × 496 tokens: 7.5 GiB of attention scores, 3 GB allowed) is one line; on a GPU EP it offers --ep cpu', { skip }, () => {
  const r = prefillUnderLimit(3_000_000, 1024, 496);
  assert.equal(r.ok, false);
  assert.equal(r.name, 'InferenceMemoryError', r.message);
  assert.equal(r.message, 'out of memory on the CPU in a pass over 1024 × 496 tokens (failed to allocate 7.51 GiB): use a shorter prompt or a smaller batch');
  // a user error: shown as it is, one line, no ORT source path or stack
  assert.equal(r.user, true);
  assert.equal(r.shown, r.message);
  // the same ORT failure on a GPU execution provider offers the CPU fallback
  assert.equal(r.gpu, 'the GPU (cuda) ran out of memory in a pass over 1024 × 496 tokens (failed to allocate 7.51 GiB): run on the CPU instead (--ep cpu; host memory, slower), or use a shorter prompt or a smaller batch');
});

test('under the same limit a batch that fits runs (the limit, not the pass, made the failure)', { skip }, () => {
  assert.deepEqual(prefillUnderLimit(3_000_000, 4, 496), { ok: true });
});
