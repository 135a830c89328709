// The renderer's pure modules (run-facts, compare-csv, compare-charts, rotation-quality) on runs the real
// engine made and the API returned: two 25 % slices of tiny-llama (per layer and uniform), their
// perplexities with the dense baseline the evaluation measured, and an 8-item PIQA evaluation. One set of
// runs for all four modules: making them is the slow part (about a minute on 2 busy cores).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeRealRuns, DENSE, type RealRuns } from './real-runs';
import { factsOf, fmt, phaseTotals, primaryMetrics, averageAccuracy, isPerplexity, type RunFacts } from '../../renderer/src/lib/run-facts';
import { comparisonCsv, csvNumber } from '../../renderer/src/lib/compare-csv';
import { accuracyChart, densePoints, memoryChart, perplexityChart, phaseChart, varianceChart } from '../../renderer/src/rooms/runs/compare-charts';
import { rotationQuality } from '../../renderer/src/rooms/export/rotation-quality';
import { PALETTE } from '../../renderer/src/lib/charts';

let R: RealRuns;
let facts: Map<number, RunFacts>;
const f = (id: number): RunFacts => facts.get(id)!;
const detail = (id: number) => R.all.find((r) => r.id === id)!;
const denseId = (kind: string) => R.all.find((r) => r.kind === kind && r.settings['model'] === DENSE && r.settings['baselineOf'] !== undefined)!.id;

before(async () => {
  R = await makeRealRuns();
  facts = new Map(R.all.map((r) => [r.id, factsOf(r, R.all)]));
});
after(async () => R?.close());

test("run-facts: a slice shows its own evaluation's perplexity and accuracy beside its dense model's under the same protocol", () => {
  const s = f(R.ids.slice);
  const ppl = detail(R.ids.ppl).metrics.find((m) => isPerplexity(m) && m.task === null)!;
  assert.equal(s.kind, 'slice');
  assert.equal(s.model, 'tiny-llama');
  assert.equal(s.ratio, 0.25);
  assert.equal(s.d, 192);
  assert.equal(s.dataset, 'wikitext2');
  assert.equal(s.perplexity, ppl.value);
  assert.equal(s.pplStderr, ppl.stderr);
  assert.deepEqual(s.pplProtocol, { dataset: 'wikitext2', split: 'test', seqlen: 256, windows: 4, of: 1568 });
  assert.deepEqual(s.measuredBy.sort(), [R.ids.ppl, R.ids.eval].sort());
  // The dense numbers are the baseline runs' own, not recomputed.
  const densePpl = detail(denseId('ppl')).metrics.find((m) => isPerplexity(m))!;
  assert.deepEqual(s.baseline?.perplexity, { value: densePpl.value, stderr: densePpl.stderr });
  const denseAcc = primaryMetrics(detail(denseId('eval')).metrics).piqa;
  assert.deepEqual(s.baseline?.tasks.piqa, denseAcc);
  assert.equal(s.baseline?.avgAccuracy, denseAcc.value);
  // PIQA's primary metric is acc_norm: 8 items make it a multiple of 1/8.
  const evalMetrics = detail(R.ids.eval).metrics;
  assert.equal(s.tasks.piqa, evalMetrics.find((m) => m.task === 'piqa' && m.name === 'acc_norm')!.value);
  assert.equal((s.tasks.piqa * 8) % 1, 0);
  assert.equal(s.avgAccuracy, averageAccuracy(evalMetrics));
  // Sizes: the slice is smaller than the model it came from.
  assert.ok(s.bytes !== null && s.denseBytes !== null && s.bytes < s.denseBytes, `${s.bytes} < ${s.denseBytes}`);
});

test('run-facts: kept variance is one mean per layer in layer order (embeddings first), each a fraction', () => {
  const s = f(R.ids.slice);
  assert.deepEqual(
    s.keptVariance.map((k) => k.layer),
    [-1, 0, 1, 2, 3],
  );
  for (const k of s.keptVariance) assert.ok(k.value > 0.5 && k.value <= 1, `layer ${k.layer}: ${k.value}`);
  const rows = detail(R.ids.slice).layers.filter((l) => l.layer === 0 && l.keptVariance !== null);
  assert.ok(rows.length >= 1);
  assert.ok(Math.abs(s.keptVariance[1].value - rows.reduce((a, l) => a + l.keptVariance!, 0) / rows.length) < 1e-12);
});

test("run-facts: an evaluation of a slice inherits the slice's ratio and calibration; a dense baseline has ratio 0", () => {
  const e = f(R.ids.ppl);
  assert.equal(e.kind, 'ppl');
  assert.equal(e.ratio, 0.25);
  assert.equal(e.dataset, 'wikitext2');
  assert.equal(e.model, 'tl-25');
  const dense = f(denseId('ppl'));
  assert.equal(dense.ratio, 0);
  assert.equal(dense.baseline, null);
  assert.equal(dense.d, 256);
});

test('run-facts: phase totals sum a phase recorded more than once (a per-layer slice records pca per layer)', () => {
  const s = f(R.ids.slice);
  const pca = s.phases.filter((p) => p.phase === 'pca');
  assert.ok(pca.length > 1, `${pca.length} pca phases`);
  assert.ok(Math.abs(phaseTotals(s).pca - pca.reduce((a, p) => a + p.seconds, 0)) < 1e-9);
});

test('run-facts: fmt prints numbers with their uncertainty and dashes for what is missing', () => {
  const s = f(R.ids.slice);
  assert.match(fmt.pplErr(s.perplexity, s.pplStderr), /^\d+\.\d\d ± \d+\.\d\d$/);
  assert.match(fmt.pplDelta({ value: s.perplexity!, stderr: s.pplStderr }, s.baseline!.perplexity), /^[+−-]\d+\.\d\d ± \d+\.\d\d$/);
  assert.match(fmt.accDelta({ value: s.tasks.piqa, stderr: s.taskStderr.piqa }, s.baseline!.tasks.piqa), / pp$/);
  assert.equal(fmt.ratio(0.25), '25 %');
  assert.equal(fmt.pplErr(null, 1), '—');
  assert.equal(fmt.seconds(75), '1 min 15 s');
  assert.equal(fmt.protocol(s.pplProtocol), '4×256'); // the short form: windows × length
});

test('compare-csv: one row per run, columns for every task and phase, numbers at 10 significant digits', () => {
  const runs = [f(R.ids.slice), f(R.ids.uniform), f(denseId('ppl'))];
  const csv = comparisonCsv(runs);
  assert.ok(csv.endsWith('\r\n'));
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, 1 + runs.length);
  const header = lines[0].split(',');
  const row = (i: number) => Object.fromEntries(header.map((h, j) => [h, lines[1 + i].split(',')[j]]));
  for (const h of ['acc_piqa', 'acc_piqa_stderr', 'dense_acc_piqa', 'phase_pca_seconds', 'phase_hash_seconds', 'perplexity_protocol']) assert.ok(header.includes(h), h);
  const s = row(0);
  assert.equal(s.run, String(R.ids.slice));
  assert.equal(Number(s.perplexity), Number(runs[0].perplexity!.toPrecision(10)));
  assert.equal(s.perplexity_protocol, 'wikitext2:test/256x4');
  assert.equal(Number(s.phase_pca_seconds), Number(phaseTotals(runs[0]).pca.toPrecision(10)));
  assert.equal(s.d, '192');
  // The uniform slice has no PIQA: empty cells, not zeros.
  assert.equal(row(1).acc_piqa, '');
  assert.equal(row(2).ratio, '0');
});

test('compare-csv: float noise is cut, whole numbers stay exact, and text with commas or quotes is quoted', () => {
  assert.equal(csvNumber(0.9570000000000003), '0.957');
  assert.equal(csvNumber(186.54321987654321), '186.5432199');
  assert.equal(csvNumber(17930650), '17930650');
  const named = { ...f(R.ids.slice), name: 'slice "a", 25%' };
  assert.match(comparisonCsv([named]).split('\r\n')[1], /^\d+,"slice ""a"", 25%",slice,/);
});

test('compare-charts: perplexity against ratio puts the dense baseline at 0 % and each slice at its ratio', () => {
  const runs = [f(R.ids.slice), f(R.ids.uniform)];
  const dense = densePoints(runs, [...facts.values()]);
  assert.deepEqual(
    dense.map((d) => d.id),
    [Math.max(...R.all.filter((r) => r.settings['model'] === DENSE && r.kind !== 'slice' && facts.get(r.id)!.perplexity !== null).map((r) => r.id))],
  );
  const c = perplexityChart(runs, dense);
  assert.equal(c.type, 'scatter');
  assert.equal(c.data.datasets.length, 1); // one model: tiny-llama
  assert.equal(c.data.datasets[0].label, 'tiny-llama');
  assert.deepEqual(c.data.datasets[0].data, [
    { x: 0, y: dense[0].perplexity },
    { x: 25, y: runs[0].perplexity },
    { x: 25, y: runs[1].perplexity },
  ]);
});

test('compare-charts: accuracy bars per task in percent, a gap (null) where a run has no such task', () => {
  const runs = [f(R.ids.slice), f(R.ids.uniform)];
  const c = accuracyChart(runs, ['piqa'], (t) => t.toUpperCase());
  assert.deepEqual(c.data.labels, ['PIQA']);
  assert.deepEqual(
    c.data.datasets.map((d) => d.data),
    [[+(runs[0].tasks.piqa * 100).toFixed(2)], [null]],
  );
  assert.deepEqual(
    c.data.datasets.map((d) => d.backgroundColor),
    [PALETTE[0], PALETTE[1]],
  );
  assert.equal(c.data.datasets[0].label, `#${R.ids.slice} slice tiny-llama 25%`);
});

test('compare-charts: kept variance per layer, phases stacked, memory in MiB, each run in its table colour', () => {
  const runs = [f(denseId('ppl')), f(R.ids.slice)];
  const v = varianceChart(runs);
  assert.deepEqual(v.data.labels, ['emb', '1', '2', '3', '4']);
  assert.equal(v.data.datasets.length, 1); // the dense ppl run has no layers
  assert.equal(v.data.datasets[0].borderColor, PALETTE[1]);
  assert.equal(v.data.datasets[0].data[0], +(runs[1].keptVariance[0].value * 100).toFixed(3));
  const p = phaseChart(runs);
  assert.equal(p.options?.indexAxis, 'y');
  const pca = p.data.datasets.find((d) => d.label === 'pca')!;
  assert.deepEqual(pca.data, [0, +phaseTotals(runs[1]).pca.toFixed(3)]);
  const m = memoryChart(runs);
  const withRss = runs.filter((r) => r.peakRss !== null);
  assert.deepEqual(
    m.data.datasets[0].data,
    withRss.map((r) => +(r.peakRss! / 2 ** 20).toFixed(1)),
  );
  assert.deepEqual(
    m.data.datasets[0].backgroundColor,
    withRss.map((r) => PALETTE[runs.indexOf(r)]),
  );
});

test('rotation-quality: for a slice being exported, the per-layer and uniform slices of the same model and ratio with their perplexities', async () => {
  const out = detail(R.ids.slice).settings['out'] as string;
  const q = await rotationQuality(R.service, `${out}/`);
  assert.ok(q);
  assert.equal(q.dense, DENSE);
  assert.equal(q.ratio, 0.25);
  const ppl = (id: number) => detail(id).metrics.find((m) => m.name === 'ppl' && m.task === null)!.value;
  assert.deepEqual(q.rows['per-layer'], { sliceRunId: R.ids.slice, pplRunId: R.ids.ppl, ppl: ppl(R.ids.ppl) });
  assert.deepEqual(q.rows.uniform, { sliceRunId: R.ids.uniform, pplRunId: R.ids.uniformPpl, ppl: ppl(R.ids.uniformPpl) });
});

test('rotation-quality: a dense model (no slice made it) has no rotation table', async () => {
  assert.equal(await rotationQuality(R.service, DENSE), null);
});
