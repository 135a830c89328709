// The slice bench's toggles that reproduce the app's conditions one at a time (issue #11's bisection of the
// pipeline's slow PCA): a model folder sliced through the same per-layer code, written by the app's writer, with
// and without the next layer's prefetch (the flag and SLICE_STUDIO_NO_PREFETCH=1), the per-layer checkpoint and a
// device budget that spills — the same bytes every time; and each layer's timing says how long the event loop
// was held per phase (loop.*) and where its weights' reading went (weights.*), also as a line per layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bench/slice';
import { sharedModel } from '../shared';

interface Report {
  conditions: { prefetch: boolean; checkpoint: boolean; write: boolean; noPrefetchEnv: boolean };
  perLayer: { layer: number; checkpoint?: number; detail?: Record<string, number> }[];
  meanSecondsPerLayer: Record<string, number>;
}

/** Runs the bench in this process; its JSON report (console.log) is returned. */
async function bench(args: string[], env: Record<string, string> = {}): Promise<Report> {
  const log = console.log;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  let out = '';
  console.log = (s: string) => void (out += s);
  Object.assign(process.env, env);
  try {
    await main(args);
  } finally {
    console.log = log;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return JSON.parse(out) as Report;
}

const files = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f))]),
  );

test('slice bench on a model folder: prefetch, checkpoint and spilling change no byte of the written layers; loop and weights timings per layer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-slice-toggles-'));
  try {
    const common = ['--source-folder', sharedModel('tiny-llama'), '--ep', 'cpu', '--engine', 'device', '--nsamples', '4', '--seqlen', '64', '--cal', 'wikitext2'];
    const jsonl = join(dir, 'timings.jsonl');
    const a = await bench([...common, '--write', join(dir, 'a'), '--checkpoint', '--timings-jsonl', jsonl]);
    assert.deepEqual({ prefetch: a.conditions.prefetch, checkpoint: a.conditions.checkpoint, write: a.conditions.write }, { prefetch: true, checkpoint: true, write: true });
    const b = await bench([...common, '--write', join(dir, 'b'), '--no-prefetch']);
    assert.deepEqual({ prefetch: b.conditions.prefetch, checkpoint: b.conditions.checkpoint }, { prefetch: false, checkpoint: false });
    const c = await bench([...common, '--write', join(dir, 'c'), '--checkpoint', '--vram-gb', '0.0001'], { SLICE_STUDIO_NO_PREFETCH: '1' });
    assert.deepEqual({ prefetch: c.conditions.prefetch, env: c.conditions.noPrefetchEnv }, { prefetch: false, env: true });

    const want = files(join(dir, 'a'));
    assert.ok(Object.keys(want).length >= 3, `written: ${Object.keys(want).join(', ')}`);
    for (const other of ['b', 'c']) {
      const got = files(join(dir, other));
      assert.deepEqual(Object.keys(got), Object.keys(want));
      for (const f of Object.keys(want)) assert.ok(got[f].equals(want[f]), `${other}/${f} differs`);
    }

    const layers = a.perLayer.filter((t) => t.layer >= 0);
    assert.ok(layers.length >= 2);
    for (const t of layers) {
      const d = t.detail ?? {};
      for (const phase of ['load', 'signals', 'pca', 'rotate', 'checkpoint']) for (const k of ['blocked', 'maxStall', 'stalls']) assert.ok(d[`loop.${phase}.${k}`] >= 0, `layer ${t.layer}: no loop.${phase}.${k}`);
      for (const k of ['weights.read', 'weights.fuse', 'weights.prepare', 'pcaOf.attention', 'pcaOf.mlp', 'pcaOf.mlp.loopBlocked']) assert.ok(d[k] >= 0, `layer ${t.layer}: no ${k}`);
      assert.ok((t.checkpoint ?? -1) >= 0);
    }
    // Layer 0 is read when it starts; every later one during the layer before it.
    assert.deepEqual(
      layers.map((t) => t.detail!['weights.prefetched']),
      layers.map((t) => (t.layer === 0 ? 0 : 1)),
    );
    assert.ok(b.perLayer.filter((t) => t.layer >= 0).every((t) => t.detail!['weights.prefetched'] === 0));
    assert.ok(a.meanSecondsPerLayer.checkpoint >= 0 && b.meanSecondsPerLayer.checkpoint === undefined);
    // One line per finished layer, as it finished.
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { layer: number }).layer),
      layers.map((t) => t.layer),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
