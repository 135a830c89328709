// Reading per-item artifacts back (JSON lines written by evaluate): metrics recomputed from the items,
// so sharded runs (--offset/--limit) merge into exactly the numbers one run would give.
import { readFileSync } from 'node:fs';
import type { ItemRecord } from './evaluate';
import { mean, meanStderr } from './metrics';
import { TASK_NAMES, type TaskName } from './tasks/index';

export interface ItemSummary {
  task: TaskName;
  n: number;
  acc: number;
  accStderr: number;
  accNorm: number;
  accNormStderr: number;
}

export function readArtifact(path: string): ItemRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ItemRecord);
}

/** Per-task metrics from item records; duplicates of (task, index) are an error (overlapping shards). */
export function summarizeItems(records: ItemRecord[]): ItemSummary[] {
  const seen = new Set<string>();
  const by = new Map<TaskName, ItemRecord[]>();
  for (const r of records) {
    const key = `${r.task}:${r.index}`;
    if (seen.has(key)) throw new Error(`item ${key} appears twice (overlapping shards?)`);
    seen.add(key);
    if (!by.has(r.task)) by.set(r.task, []);
    by.get(r.task)!.push(r);
  }
  return TASK_NAMES.filter((t) => by.has(t)).map((task) => {
    const rs = by.get(task)!;
    const acc = rs.map((r) => r.acc);
    const norm = rs.map((r) => r.accNorm);
    return { task, n: rs.length, acc: mean(acc), accStderr: meanStderr(acc), accNorm: mean(norm), accNormStderr: meanStderr(norm) };
  });
}
