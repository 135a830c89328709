import { test } from 'node:test';
import { MODELS, modelPath } from './helpers';
import { checkInvariance } from './invariance-check';

for (const name of MODELS) {
  test(`${name} rotated by random orthogonal matrices (shortcuts included) keeps its logits within 1e-5 relative`, () => checkInvariance(modelPath(name)));
}
