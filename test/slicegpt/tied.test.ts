// A tied embedding is stored once in a slice (sliced-folder format 2, core/slicegpt/tied.ts): the folder
// keeps the source's V×D table unchanged beside two D-row factors, computes what the materialised tables
// computed (float rounding apart), still reads format-1 folders (every table materialised), and refuses
// formats it does not know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { openAnyModel } from '../../core/slicegpt/open';
import { openModel } from '../../core/model/source';
import { SlicedModelSource, TIED_TENSORS } from '../../core/slicegpt/sliced-source';
import { SlicedModelWriter } from '../../core/slicegpt/output';
import { parseSlicingConfig } from '../../core/slicegpt/slicing-config';
import { untiedEmbedding, untiedHead } from '../../core/slicegpt/tied';
import { isUserError } from '../../core/base/user-error';
import { logitsOf, modelPath, relativeError, tokenWindows, withRunner } from './helpers';

const TIED = ['tiny-opt', 'tiny-stories'] as const;

async function slice(name: string, dir: string, ratio: number): Promise<string> {
  const folder = modelPath(name);
  const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0 });
  const out = join(dir, `${name}-${ratio}`);
  await sliceModel(quietContext(), { model: folder, ratio, cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, calibration });
  return out;
}

/** The same slice in format 1: every table materialised (E·P), no format field. */
async function asFormat1(src: SlicedModelSource, out: string): Promise<void> {
  const extra = JSON.parse(readFileSync(join(src.folder, 'slice_studio.json'), 'utf8')) as Record<string, unknown>;
  const writer = new SlicedModelWriter(out, src.config, 'float32');
  await writer.writeEmbedding(await untiedEmbedding(await src.embedding()));
  for (let i = 0; i < src.config.numLayers; i++) await writer.writeLayer(i, await src.layer(i));
  await writer.writeHead(await untiedHead(await src.head()));
  await writer.finish(modelPath(src.config.family === 'opt' ? 'tiny-opt' : 'tiny-stories'), parseSlicingConfig(src.slicing), extra);
  const studio = JSON.parse(readFileSync(join(out, 'slice_studio.json'), 'utf8')) as Record<string, unknown>;
  delete studio.format;
  delete studio.tiedEmbedding;
  writeFileSync(join(out, 'slice_studio.json'), JSON.stringify(studio));
}

for (const name of TIED) {
  test(`${name}: a slice stores the tied embedding once — the source table unchanged, two D-row factors — and computes what format 1 computes`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `tied-${name}-`));
    try {
      const out = await slice(name, dir, 0.25);
      const studio = JSON.parse(readFileSync(join(out, 'slice_studio.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(studio.format, 2);
      assert.equal(studio.tiedEmbedding, true);
      const src = await openAnyModel(out);
      assert.ok(src instanceof SlicedModelSource && src.tiedEmbedding);
      const dense = await openModel(modelPath(name));
      const D = dense.config.hiddenSize;
      const e = await src.embedding();
      const denseE = (await dense.embedding()).tokens;
      // The source's dtype is kept, so E reads back exactly as the dense model reads it.
      assert.deepEqual([e.tokens.rows, e.tokens.cols], [denseE.rows, D]);
      assert.ok(
        e.tokens.data.every((v, i) => v === denseE.data[i]),
        'E is the source table',
      );
      const d = JSON.parse(readFileSync(join(out, 'slicing_config.json'), 'utf8')).const_dimension as number;
      assert.deepEqual([e.projection!.rows, e.projection!.cols], [D, d]);
      const h = await src.head();
      assert.deepEqual([h.vocab!.rows, h.lm.weight.rows, h.lm.weight.cols], [denseE.rows, D, D]);
      assert.equal(h.lm.bias !== undefined, name === 'tiny-opt', 'OPT: the final LayerNorm shift is a D-vector bias');
      const st = readFileSync(join(out, 'model.safetensors.index.json'), 'utf8');
      assert.ok(!st.includes('"lm_head.weight"') && st.includes(TIED_TENSORS.embedProjection), 'no vocabulary-sized head tensor');

      const old = join(dir, 'format1');
      await asFormat1(src, old);
      const oldSrc = await openAnyModel(old);
      assert.ok(oldSrc instanceof SlicedModelSource && !oldSrc.tiedEmbedding, 'a folder without a format field reads as format 1');
      const windows = tokenWindows(denseE.rows, 2, 32);
      const [tied, materialised] = await withRunner(src, async (r) => [await logitsOf(src, r, windows), await logitsOf(oldSrc, r, windows)]);
      const err = relativeError(tied, materialised);
      assert.ok(err < 1e-5, `logits differ by ${err} relative`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("a format-2 slice reads E once: the head's vocabulary is the embedding's table (core/model/held-table.ts)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tied-held-'));
  try {
    const src = await openAnyModel(await slice('tiny-stories', dir, 0.25));
    assert.ok(src instanceof SlicedModelSource && src.tiedEmbedding);
    const e = await src.embedding();
    assert.equal((await src.head()).vocab, e.tokens);
    assert.equal(e.tokens.cols, src.config.hiddenSize);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('uniform rotation at half the width writes the two tables materialised, as that layout is then the smaller (tiny-stories, d = 32 of 64)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tied-uniform-'));
  try {
    const folder = modelPath('tiny-stories');
    const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0 });
    const out = join(dir, 'u50');
    await sliceModel(quietContext(), { model: folder, ratio: 0.5, cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: true, out, ep: 'cpu', resume: false, calibration, rotation: 'uniform' });
    const studio = JSON.parse(readFileSync(join(out, 'slice_studio.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([studio.format, studio.tiedEmbedding], [2, false]);
    const src = await openAnyModel(out);
    assert.deepEqual([(await src.embedding()).tokens.cols, (await src.head()).lm.weight.rows], [32, 512], 'V×32 embedding, 512×32 head');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sliced folder of a newer format is refused in one line naming the formats this version reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tied-format-'));
  try {
    const out = await slice('tiny-stories', dir, 0.5);
    const p = join(out, 'slice_studio.json');
    writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), format: 3 }));
    await assert.rejects(openAnyModel(out), (e: Error) => {
      assert.ok(isUserError(e));
      assert.match(e.message, /format 3, written by a newer Slice Studio; this version reads formats 1 to 2$/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
