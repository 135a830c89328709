// Folders the app did not create are never replaced or written into: --out and overwrite come from whoever
// holds the API token. (core/files/output-marker.ts, used by exports and slices.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically } from '../../core/export/atomic';
import { exportModel } from '../../core/export/index';
import { quietContext } from '../../core/base/job-context';
import { isAppOutput, OUTPUT_MARKER } from '../../core/files/output-marker';
import { prepareOut } from '../../core/slicegpt/out-folder';
import { sharedModel } from '../shared';

const dir = mkdtempSync(join(tmpdir(), 'ss-marker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function foreignFolder(name: string): string {
  const f = join(dir, name);
  mkdirSync(join(f, 'sub'), { recursive: true });
  writeFileSync(join(f, 'sub', 'precious.txt'), 'the user’s own data');
  return f;
}

const writeFolder = (t: string) => {
  mkdirSync(t);
  writeFileSync(join(t, 'model.onnx'), 'x');
  return Promise.resolve(1);
};

test('an export with overwrite never replaces a folder Slice Studio did not create', async () => {
  const foreign = foreignFolder('foreign');
  await assert.rejects(writeAtomically(foreign, { estimateBytes: 1, overwrite: true }, writeFolder), (e: Error) => {
    assert.equal(e.name, 'ExportError');
    assert.match(e.message, /was not created by Slice Studio .*choose another --out/);
    return true;
  });
  assert.equal(readFileSync(join(foreign, 'sub', 'precious.txt'), 'utf8'), 'the user’s own data');
  // The same through the export entry point the API's startJob uses.
  await assert.rejects(exportModel(quietContext(), { model: sharedModel('tiny-llama'), format: 'onnx', out: foreign, overwrite: true }), /was not created by Slice Studio/);
  assert.ok(existsSync(join(foreign, 'sub', 'precious.txt')));
});

test('an export folder the app wrote carries the marker and may be replaced with overwrite', async () => {
  const out = join(dir, 'export');
  await writeAtomically(out, { estimateBytes: 1 }, writeFolder);
  assert.ok(isAppOutput(out));
  writeFileSync(join(out, 'stale'), 'old');
  await writeAtomically(out, { estimateBytes: 1, overwrite: true }, writeFolder);
  assert.ok(isAppOutput(out));
  assert.equal(existsSync(join(out, 'stale')), false);
});

test('a GGUF export with overwrite never replaces a file that is not GGUF', async () => {
  const file = join(dir, 'notes.gguf');
  writeFileSync(file, 'not a gguf');
  await assert.rejects(exportModel(quietContext(), { model: sharedModel('tiny-llama'), format: 'gguf', out: file, overwrite: true }), /is not a GGUF file: it is never replaced/);
  assert.equal(readFileSync(file, 'utf8'), 'not a gguf');
  // --out as a folder: the .gguf and the Modelfile it would write there are replaced only if they are ours
  const folder = join(dir, 'gguf-folder');
  mkdirSync(folder);
  writeFileSync(join(folder, 'tiny-llama-f16.Modelfile'), 'FROM my-own-model');
  await assert.rejects(exportModel(quietContext(), { model: sharedModel('tiny-llama'), format: 'gguf', out: folder }), /tiny-llama-f16\.Modelfile was not written by Slice Studio: it is never replaced/);
  assert.equal(readFileSync(join(folder, 'tiny-llama-f16.Modelfile'), 'utf8'), 'FROM my-own-model');
});

test('a slice writes only into a new, empty or app-made folder, and signs the ones it creates', () => {
  const fresh = join(dir, 'slice-new');
  prepareOut(fresh);
  assert.ok(existsSync(join(fresh, OUTPUT_MARKER)));
  prepareOut(fresh); // a second run (or a resume) into its own folder
  const empty = join(dir, 'slice-empty');
  mkdirSync(empty);
  prepareOut(empty);
  assert.ok(isAppOutput(empty));
  const foreign = foreignFolder('slice-foreign');
  assert.throws(() => prepareOut(foreign), /was not created by Slice Studio \(no \.slice-studio-output in it\); choose another --out/);
  // A look-alike: a folder holding files named like a sliced model, but no marker.
  const lookalike = join(dir, 'lookalike');
  mkdirSync(lookalike);
  writeFileSync(join(lookalike, 'model-00001-of-00002.safetensors'), 'x');
  assert.throws(() => prepareOut(lookalike), /was not created by Slice Studio/);
});
