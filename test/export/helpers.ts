// Shared by the export tests: slice a shared model at 25 % with a small calibration (real PCA, fast), and
// temp folders that clean up after themselves.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { exportOnnx } from '../../core/export/onnx';
import { verifyOnnx } from '../../core/export/verify-onnx';
import { sliceModel } from '../../core/slicegpt/slice-model';
import type { OutputDtype } from '../../core/slicegpt/output';
import { SHARED_MODELS } from '../shared';
import { sliceOptions } from '../slicegpt/helpers';

export const MODELS = SHARED_MODELS;
export const modelPath = (name: string) => join(MODELS, name);

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `export-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `name` sliced at `ratio` into `out` (calibration: the first 4 WikiText-2 train windows of 128 tokens). */
export async function sliceShared(name: string, out: string, ratio = 0.25, dtype?: OutputDtype): Promise<string> {
  await sliceModel(quietContext(), sliceOptions(modelPath(name), out, { ratio, ...(dtype ? { dtype } : {}) }));
  return out;
}

/**
 * `name` sliced at 25 % once for the whole test file (a `before` hook) into a temp folder that an `after`
 * hook removes; `sliced()` is the folder once the hook has run.
 */
export function slicedForFile(name: string, prefix: string): { dir: string; sliced: () => string } {
  const tmp = tempDir(prefix);
  let sliced = '';
  before(async () => {
    sliced = await sliceShared(name, join(tmp.dir, 'sliced'));
  });
  after(tmp.cleanup);
  return { dir: tmp.dir, sliced: () => sliced };
}

/** Exports `sliced` to ONNX in `out` and checks what every family must do: perplexity within 0.1 % of the app's, greedy tokens identical. */
export async function exportReproducesApp(sliced: string, out: string) {
  const exported = await exportOnnx(quietContext(), { model: sliced, out });
  const v = await verifyOnnx(out, { maxWindows: 4, maxNewTokens: 30 });
  assert.ok(v.comparison!.pplRelativeDifference < 1e-3, JSON.stringify(v.comparison));
  assert.deepEqual(v.export.greedy.ids, v.inApp!.greedy.ids);
  return { exported, v };
}
