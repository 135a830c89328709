// Merge per-item artifacts of (possibly sharded) eval runs into per-model, per-task metrics. JSON out.
//   npm run bench -- eval-merge <dir>     (files named <model>[.<tag>].jsonl)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readArtifact, summarizeItems } from '../core/eval/artifacts';
import type { ItemRecord } from '../core/eval/evaluate';

export async function main(args: string[]): Promise<void> {
  const dir = args[0];
  if (!dir) throw new Error('usage: npm run bench -- eval-merge <artifacts dir>');
  const byModel = new Map<string, ItemRecord[]>();
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    const model = f.slice(0, -'.jsonl'.length).split('.')[0];
    byModel.set(model, [...(byModel.get(model) ?? []), ...readArtifact(join(dir, f))]);
  }
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const models = [...byModel].map(([model, recs]) => ({
    model,
    tasks: summarizeItems(recs).map((t) => ({ ...t, acc: round(t.acc), accStderr: round(t.accStderr), accNorm: round(t.accNorm), accNormStderr: round(t.accNormStderr) })),
  }));
  console.log(JSON.stringify({ bench: 'eval-merge', models }, null, 1));
}
