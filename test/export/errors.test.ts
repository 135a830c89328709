// Bad input to export and verify-export: one line each, naming what is wrong, never a stack trace; and
// nothing left behind under --out when an export fails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { exportModel, type ExportOptions } from '../../core/export/index';
import { verifyExport } from '../../core/export/verify';
import { writeAtomically } from '../../core/export/atomic';
import { ExportError } from '../../core/export/errors';
import { runCli } from '../../core/transports/cli/cli';
import { modelPath, tempDir } from './helpers';

const tmp = tempDir('errors');
after(tmp.cleanup);

async function oneLine(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof ExportError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), e.message);
    return true;
  });
}

const opts = (o: Partial<ExportOptions>): ExportOptions => ({ model: modelPath('tiny-llama'), format: 'onnx', out: join(tmp.dir, 'x'), ...o });

test('export refuses bad input with one-line errors', async () => {
  await oneLine(exportModel(quietContext(), opts({ model: join(tmp.dir, 'nope') })), /nope is not a model folder or config\.json Slice Studio can open$/);
  const empty = join(tmp.dir, 'empty');
  mkdirSync(empty);
  await oneLine(exportModel(quietContext(), opts({ model: empty })), /empty is not a model folder or config\.json Slice Studio can open$/);
  await oneLine(exportModel(quietContext(), opts({ format: 'tflite' as never })), /unknown export format "tflite"/);
  await oneLine(exportModel(quietContext(), opts({ dtype: 'int3' as never })), /unknown --dtype "int3"/);
  await oneLine(exportModel(quietContext(), opts({ dtype: 'q8_0' })), /GGUF type; ONNX exports are f32 or f16/);
  await oneLine(exportModel(quietContext(), opts({ out: '' })), /--out is required/);
  await oneLine(exportModel(quietContext(), opts({ out: modelPath('tiny-llama') })), /already exists|must not be the model folder/);
  const taken = join(tmp.dir, 'taken');
  mkdirSync(taken);
  await oneLine(exportModel(quietContext(), opts({ out: taken })), /already exists .*--force/);
});

test('a failed atomic write leaves neither the target nor its temporary behind; no room on disk is a clear error', async () => {
  const target = join(tmp.dir, 'atomic', 'out');
  await assert.rejects(
    writeAtomically(target, { estimateBytes: 1 }, async (t) => {
      mkdirSync(t);
      writeFileSync(join(t, 'half'), 'x');
      throw new Error('killed');
    }),
    /killed/,
  );
  assert.equal(existsSync(target), false);
  assert.deepEqual(readdirSync(join(tmp.dir, 'atomic')), []);
  await oneLine(
    writeAtomically(target, { estimateBytes: 2 ** 60 }, async () => 0),
    /not enough free disk space in .*: the export needs about .* are free/,
  );
});

test('verify-export refuses what it cannot verify with one-line errors', async () => {
  // A missing path gets the answer any non-export gets (no existence oracle).
  await oneLine(verifyExport(join(tmp.dir, 'missing')), /missing is neither an ONNX export folder .* nor a \.gguf file$/);
  await oneLine(verifyExport(modelPath('tiny-llama')), /neither an ONNX export folder .* nor a \.gguf file/);
  const fake = join(tmp.dir, 'fake');
  mkdirSync(fake);
  writeFileSync(join(fake, 'model.onnx'), 'not a model');
  writeFileSync(join(fake, 'config.json'), readFileSync(join(modelPath('tiny-llama'), 'config.json')));
  await oneLine(verifyExport(fake, { skipInApp: true }), /onnxruntime cannot load/);
});

test('the CLI prints bad export and verify-export input as one line and exits 1', async () => {
  const cases: [string[], RegExp][] = [
    [['export', modelPath('tiny-llama'), '--out', join(tmp.dir, 'o')], /export needs --format/],
    [['export', modelPath('tiny-llama'), '--format', 'zip', '--out', join(tmp.dir, 'o')], /--format must be one of onnx, gguf, safetensors, hf/],
    [['export', modelPath('tiny-llama'), '--format', 'onnx', '--dtype', 'q3'], /--dtype must be one of f32, f16, q8_0, q4_0/],
    [['export', '--format', 'onnx', '--out', join(tmp.dir, 'o')], /export needs a model folder/],
    [['verify-export'], /verify-export needs an exported folder/],
    [['verify-export', join(tmp.dir, 'o'), '--max-windows', '0'], /--max-windows must be an integer/],
  ];
  for (const [argv, pattern] of cases) {
    const err: string[] = [];
    const code = await runCli([...argv, '--data-dir', join(tmp.dir, 'data')], { out: () => {}, err: (t) => err.push(t) });
    assert.equal(code, 1, argv.join(' '));
    assert.equal(err.length, 1, err.join('|'));
    assert.match(err[0], pattern);
  }
});
