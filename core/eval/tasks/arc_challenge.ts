// ARC-Challenge test (1,172 items); prompt construction shared with ARC-Easy in arc.ts.
import { loadArc } from './arc';
import type { TaskSpec } from './types';

export const arcChallenge: TaskSpec = {
  name: 'arc_challenge',
  title: 'ARC-Challenge test',
  size: 1172,
  primaryMetric: 'acc_norm',
  load: (limit) => loadArc('arc_challenge', 'ARC-Challenge-Test.jsonl', limit),
};
