// Slices are smaller than the model they came from: written in the source's dtype (float16 for three
// shared models, float32 for tiny-stories) with shortcuts in the same dtype, a tied embedding stored once
// (core/slicegpt/tied.ts), predicted exactly from the shapes before any work. At 5–10 % per-layer slicing
// can still grow by its shortcut matrices (2·d² per layer against what so few deleted dimensions save):
// those settings are refused up front with both sizes, pointing at the ratio that shrinks it and at uniform
// rotation, which has no shortcuts and gives smaller files at every ratio tested, for all four models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { predictSliceSize, weightBytes } from '../../core/slicegpt/output-size';
import { sliceParams } from '../../core/jobs/kinds/slice';
import { PayloadError } from '../../core/base/validate';
import { readSafetensorsHeader } from '../../core/model/safetensors';
import { MODELS, modelPath } from './helpers';

const RATIOS = [0.05, 0.1, 0.25, 0.5];
/** Per-layer ratios whose slice is smaller, per model (the rest are refused): the shortcuts decide, not the embedding. */
const PER_LAYER_SMALLER: Record<string, number[]> = { 'tiny-llama': [0.1, 0.25, 0.5], 'tiny-opt': [0.25, 0.5], 'tiny-phi': [0.05, 0.1, 0.25, 0.5], 'tiny-stories': [0.25, 0.5] };
const safetensorsBytes = (folder: string) =>
  readdirSync(folder)
    .filter((f) => f.endsWith('.safetensors'))
    .reduce((n, f) => n + statSync(join(folder, f)).size, 0);

for (const name of MODELS) {
  test(`${name}: at ratios ${RATIOS.join(', ')} a uniform slice always, and a per-layer slice where its shortcuts allow, has smaller files than the dense model, in its dtype; the rest are refused with both sizes and the way out`, async () => {
    const folder = modelPath(name);
    const denseFiles = safetensorsBytes(folder);
    const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 2, seqlen: 64, sampling: 'first', seed: 0 });
    const dir = mkdtempSync(join(tmpdir(), `size-${name}-`));
    let written = 0;
    try {
      for (const ratio of [0, ...RATIOS]) {
        const predicted = predictSliceSize(folder, { ratio });
        const params = { model: folder, ratio, nsamples: 2, seqlen: 64, sampling: 'first', out: join(dir, 'x') };
        if (predicted.slicedBytes >= predicted.denseBytes) {
          assert.throws(
            () => sliceParams.check(params, 'slice params'),
            (e: Error) => {
              assert.ok(e instanceof PayloadError);
              assert.match(e.message, /would write [\d.]+ MB of \w+ weights, more than the model's [\d.]+ MB \(.+\); a ratio of \d+ % or more makes it smaller/);
              if (ratio > 0) assert.match(e.message, /as does rotation 'uniform' \/ --rotation uniform at this ratio \([\d.]+ MB, no shortcut matrices\)/);
              assert.doesNotMatch(e.message, /tied/, 'a tied embedding no longer makes a slice larger');
              assert.ok(!e.message.includes('\n'));
              return true;
            },
            `${name} at ${ratio}`,
          );
          assert.ok(ratio < predicted.smallerFrom!, `${name} ${ratio}: refused although ${predicted.smallerFrom} shrinks it`);
          continue;
        }
        assert.ok(PER_LAYER_SMALLER[name].includes(ratio), `${name} at ${ratio}: accepted`);
        sliceParams.check(params, 'slice params');
        const out = join(dir, String(ratio));
        await sliceModel(quietContext(), { model: folder, ratio, cal: 'wikitext2', nsamples: 2, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, calibration });
        written++;
        assert.ok(safetensorsBytes(out) < denseFiles, `${name} at ${ratio}: ${safetensorsBytes(out)} ≥ ${denseFiles} bytes`);
        assert.equal(weightBytes(out), predicted.slicedBytes, `${name} at ${ratio}: prediction`);
        const layer = (
          await readSafetensorsHeader(
            join(
              out,
              readdirSync(out)
                .filter((f) => f.endsWith('.safetensors'))
                .sort()[1],
            ),
          )
        ).tensors;
        const want = name === 'tiny-stories' ? 'F32' : 'F16';
        assert.deepEqual([...new Set(layer.map((t) => t.dtype))], [want], `${name}: weights and shortcuts in the source dtype`);
        rmSync(out, { recursive: true, force: true });
      }
      // Ratio 0 is always refused (nothing deleted, shortcuts added).
      assert.equal(written, PER_LAYER_SMALLER[name].length, `${name}: ${written} per-layer ratios accepted`);
      for (const ratio of RATIOS) {
        const out = join(dir, `u${ratio}`);
        sliceParams.check({ model: folder, ratio, rotation: 'uniform', out }, 'slice params');
        await sliceModel(quietContext(), { model: folder, ratio, cal: 'wikitext2', nsamples: 2, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: true, out, ep: 'cpu', resume: false, calibration, rotation: 'uniform' });
        assert.ok(safetensorsBytes(out) < denseFiles, `${name} uniform at ${ratio}: ${safetensorsBytes(out)} ≥ ${denseFiles} bytes`);
        rmSync(out, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('allowLarger lets a larger slice through the validator (ratio 0 of tiny-llama)', () => {
  const p = sliceParams.check({ model: modelPath('tiny-llama'), ratio: 0, allowLarger: true }, 'slice params');
  assert.equal(p.ratio, 0);
});
