// ARC-Easy test (2,376 items); prompt construction shared with ARC-Challenge in arc.ts.
import { loadArc } from './arc';
import type { TaskSpec } from './types';

export const arcEasy: TaskSpec = {
  name: 'arc_easy',
  title: 'ARC-Easy test',
  size: 2376,
  primaryMetric: 'acc_norm',
  load: (limit) => loadArc('arc_easy', 'ARC-Easy-Test.jsonl', limit),
};
