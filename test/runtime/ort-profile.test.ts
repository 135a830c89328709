// SLICE_STUDIO_ORT_PROFILE (core/runtime/ort-profile.ts): the device helpers' sessions leave ORT's trace, complete
// once they are released, one file per session, with each node's time; unset, nothing is written and nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceTensors } from '../../core/runtime/device';
import { profileOptions } from '../../core/runtime/ort-profile';

test('with SLICE_STUDIO_ORT_PROFILE set, a device helper session leaves its ORT trace (node events by op) when the helpers are disposed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ort-profile-'));
  process.env.SLICE_STUDIO_ORT_PROFILE = dir;
  try {
    const dev = new DeviceTensors('cpu');
    const x = Float32Array.from({ length: 6 }, (_, i) => i + 1);
    const t = await dev.upload(x, 2, 3, true); // the uploadT helper graph: a Transpose
    assert.deepEqual(Array.from(t.data as Float32Array), [1, 4, 2, 5, 3, 6]);
    await dev.dispose();
    const files = readdirSync(dir);
    assert.equal(files.length, 1, `one trace per session: ${files.join(', ')}`);
    assert.match(files[0], /^helper-uploadT.*\.json$/);
    const events = JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as { cat: string; args?: { op_name?: string } }[];
    assert.ok(
      events.some((e) => e.cat === 'Node' && e.args?.op_name === 'Transpose'),
      'the Transpose node is timed',
    );
  } finally {
    delete process.env.SLICE_STUDIO_ORT_PROFILE;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without SLICE_STUDIO_ORT_PROFILE no profiling option is passed to ORT', () => {
  assert.deepEqual(profileOptions('helper-x', {}), {});
  assert.deepEqual(profileOptions('pass-attention:f16', { SLICE_STUDIO_ORT_PROFILE: '/tmp/p/' }), { enableProfiling: true, profileFilePrefix: '/tmp/p/pass-attention_f16' });
});
