// Which eigensolver the PCA uses, and the fallback when the WGSL one has no device: on this machine (no
// `webgpu` package or no adapter) the GPU choice must decompose with the float64 solver, saying so once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigh } from '../../core/linalg/eigh';
import { wgslDevice } from '../../core/linalg/wgsl-device';
import { decompose, pcaSolverFor, plannedPcaSolver } from '../../core/slicegpt/pca-solver';
import { randomSymmetric } from '../linalg/check';

test('the WGSL solver is the default for the device engine on a GPU EP; float64 on the CPU EP and in the host engine', () => {
  assert.equal(pcaSolverFor('device', 'webgpu', {}), 'wgsl');
  assert.equal(pcaSolverFor('device', 'cuda', {}), 'wgsl');
  assert.equal(pcaSolverFor('device', 'cpu', {}), 'float64');
  assert.equal(pcaSolverFor('host', 'webgpu', {}), 'float64');
  assert.equal(pcaSolverFor('host', 'cpu', { SLICE_STUDIO_EIGH: '' }), 'float64');
});

test('SLICE_STUDIO_EIGH=gpu takes the WGSL solver on any EP, ort the ORT graphs on a GPU EP, cpu float64; any other value is one clear error', () => {
  assert.equal(pcaSolverFor('device', 'webgpu', { SLICE_STUDIO_EIGH: 'gpu' }), 'wgsl');
  assert.equal(pcaSolverFor('device', 'webgpu', { SLICE_STUDIO_EIGH: 'cpu' }), 'float64');
  assert.equal(pcaSolverFor('host', 'cpu', { SLICE_STUDIO_EIGH: 'gpu' }), 'wgsl');
  assert.deepEqual(pcaSolverFor('device', 'webgpu', { SLICE_STUDIO_EIGH: 'ort' }), { gpu: 'webgpu' });
  assert.equal(pcaSolverFor('device', 'cpu', { SLICE_STUDIO_EIGH: 'ort' }), 'float64');
  assert.throws(() => pcaSolverFor('device', 'webgpu', { SLICE_STUDIO_EIGH: 'cuda' }), { name: 'EighError', message: 'SLICE_STUDIO_EIGH must be one of cpu, gpu, ort (got "cuda")' });
});

test('without a WebGPU device the WGSL choice decomposes with the float64 solver and says so in one line, once', async (t) => {
  const dev = await wgslDevice();
  if ('device' in dev) return t.skip(`this machine has a WebGPU adapter (${dev.adapter}): no fallback to test`);
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const n = 40;
  const a = randomSymmetric(n, 3);
  const ref = await eigh(a, n);
  const r = await decompose(a, n, 'wgsl', { log });
  await decompose(randomSymmetric(n, 4), n, 'wgsl', { log });
  assert.deepEqual(r.values, ref.values);
  assert.deepEqual(r.vectors, ref.vectors);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /^GPU eigensolver unavailable \(.+\): the PCA uses the float64 CPU solver$/);
  assert.ok(!lines[0].includes('\n'));
});

test('the planner times the solver the slice will use: WGSL on a GPU EP, float64 on the CPU EP or when SLICE_STUDIO_EIGH=cpu', () => {
  assert.equal(plannedPcaSolver('webgpu', {}), 'wgsl');
  assert.equal(plannedPcaSolver('cpu', {}), 'float64');
  assert.equal(plannedPcaSolver('webgpu', { SLICE_STUDIO_EIGH: 'cpu' }), 'float64');
  assert.equal(plannedPcaSolver('webgpu', { SLICE_STUDIO_EIGH: 'ort' }), 'float64');
  assert.equal(plannedPcaSolver('cpu', { SLICE_STUDIO_EIGH: 'gpu' }), 'wgsl');
});
