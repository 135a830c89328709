// The ONNX builder: models it writes load in onnxruntime and compute what the nodes say, with
// initializers inline or in an external data file next to the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { GraphBuilder, GraphError } from '../../core/onnx/graph';
import { ModelProto } from '../../core/onnx/proto';

function gemmPlusOne(): GraphBuilder {
  const g = new GraphBuilder('t');
  const x = g.input('x', 'float32', ['N', 3]);
  const w = g.initializer('w', 'float32', [2, 3], Float32Array.from({ length: 600 }, (_, i) => (i < 6 ? [1, 2, 3, 4, 5, 6][i] : 0)).subarray(0, 6));
  g.node('Add', [g.node('Gemm', [x, w], { transB: 1, alpha: { f: 0.5 } }), g.f32(1)], {}, { out: 'y' });
  g.output('y', 'float32', ['N', 2]);
  return g;
}

test('a built graph serializes to opset-21 ModelProto bytes that onnxruntime runs', async () => {
  const g = gemmPlusOne();
  const bytes = g.toBytes();
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as { ir_version: number; opset_import: { version: number }[] };
  assert.equal(m.ir_version, 10);
  assert.equal(m.opset_import[0].version, 21);
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1, 0, 1, 0), [2, 3]) });
  assert.deepEqual(Array.from(r.y.data as Float32Array), [4, 8.5, 2, 3.5]);
  await s.release();
});

test('initializers moved to an external data file load from the model path', async () => {
  const g = new GraphBuilder('ext');
  const x = g.input('x', 'float32', ['N', 256]);
  const w = g.input('w', 'float32', [256, 256]);
  g.node('MatMul', [x, w], {}, { out: 'y' });
  g.output('y', 'float32', ['N', 256]);
  const eye = new Float32Array(256 * 256);
  for (let i = 0; i < 256; i++) eye[i * 257] = 2;
  g.bindInput('w', [256, 256], eye);
  assert.deepEqual(g.inputNames, ['x']);
  const { model, chunks } = g.toExternal('w.bin');
  assert.equal(chunks.length, 1);
  const dir = mkdtempSync(join(tmpdir(), 'slice-onnx-'));
  try {
    writeFileSync(join(dir, 'm.onnx'), model);
    const fd = openSync(join(dir, 'w.bin'), 'w');
    for (const c of chunks) writeSync(fd, c.bytes, 0, c.bytes.byteLength, c.offset);
    closeSync(fd);
    assert.ok(model.byteLength < 4096, 'weights are not inline');
    const s = await ort.InferenceSession.create(join(dir, 'm.onnx'));
    const xs = Float32Array.from({ length: 256 }, (_, i) => i);
    const r = await s.run({ x: new ort.Tensor('float32', xs, [1, 256]) });
    assert.deepEqual(
      Array.from(r.y.data as Float32Array),
      Array.from(xs, (v) => 2 * v),
    );
    await s.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('non-integer INT attributes are refused with a message', () => {
  const g = new GraphBuilder('bad');
  assert.throws(() => g.node('Softmax', ['x'], { axis: 0.5 }), GraphError);
});
