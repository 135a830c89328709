// `fingerprint`: a sha256 of every file in a model folder (base/folder-hash.ts). Runs use it to tell
// "the same model" from "a folder with the same name" when comparing results.
import { fingerprintFolder } from '../../base/folder-hash';
import { defineJob } from '../registry';
import { nonEmptyString, object } from '../../base/validate';

export const fingerprintJob = defineJob({
  kind: 'fingerprint',
  // Reads files and hashes them: no model, little memory; it does not wait behind a slice.
  load: 'light',
  runKind: 'fingerprint',
  summary: 'sha256 of every file in a model folder (streamed)',
  cli: { positional: 'path', positionalLabel: 'a model folder', positionalUsage: '<model-folder>' },
  params: object({ path: nonEmptyString }),
  describe: (p) => `fingerprint ${p.path}`,
  modelPath: (p) => p.path,
  run: (ctx, p) => fingerprintFolder(ctx, p.path),
});
