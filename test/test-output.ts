// test-output/ in the checkout: where tests leave files worth looking at (and the bundles that must resolve
// the checkout's node_modules), as opposed to the OS temp folder.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './shared';

/** A fresh folder test-output/`prefix`XXXXXX (test-output/ made if missing); the caller removes it. */
export function testOutputDir(prefix: string): string {
  mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
  return mkdtempSync(join(REPO_ROOT, 'test-output', prefix));
}
