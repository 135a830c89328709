// A run split with offset/limit into shards merges (from its per-item artifacts) into exactly the
// metrics and log-likelihoods of one unsplit run; overlapping shards are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { evaluate } from '../../core/eval/evaluate';
import { readArtifact, summarizeItems } from '../../core/eval/artifacts';
import { sharedModel } from '../shared';

const STORIES = sharedModel('tiny-stories');

test('sharded runs merge into the metrics of one run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eval-shards-'));
  try {
    const tasks = 'winogrande,arc_challenge';
    const whole = await evaluate(quietContext(), { model: STORIES, tasks, limit: 6, artifactPath: join(dir, 'whole.jsonl') });
    await evaluate(quietContext(), { model: STORIES, tasks, limit: 4, artifactPath: join(dir, 'a.jsonl') });
    await evaluate(quietContext(), { model: STORIES, tasks, offset: 4, limit: 2, artifactPath: join(dir, 'b.jsonl') });
    const parts = [...readArtifact(join(dir, 'a.jsonl')), ...readArtifact(join(dir, 'b.jsonl'))];
    const merged = summarizeItems(parts);
    assert.deepEqual(
      merged.map((m) => [m.task, m.n, m.acc, m.accNorm, m.accStderr]),
      whole.tasks.map((t) => [t.task, t.n, t.acc, t.accNorm, t.accStderr]),
    );
    const one = readArtifact(join(dir, 'whole.jsonl'));
    for (const r of one) {
      const p = parts.find((x) => x.task === r.task && x.index === r.index)!;
      r.logliks.forEach((ll, i) => assert.ok(Math.abs(ll - p.logliks[i]) < 1e-3));
    }
    assert.throws(() => summarizeItems([...parts, parts[0]]), /appears twice/);
    await assert.rejects(evaluate(quietContext(), { model: STORIES, tasks, offset: -1 }), /offset/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
