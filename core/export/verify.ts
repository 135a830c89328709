// `verifyExport`: load an export in the runtime it is for and report its WikiText-2 perplexity and a
// greedy continuation next to the app's numbers. Which runtime: the first row of the formats table
// (formats.ts) that holds the path — ONNX folders to onnxruntime-node, .gguf files to llama.cpp.
import { existsSync, statSync } from 'node:fs';
import { quietContext, type JobContext } from '../base/job-context';
import { ExportError } from './errors';
import { EXPORT_FORMATS } from './formats';
import type { VerifyOptions, VerifyResult } from './verify-onnx';
import { exportVerdict } from './verdict';

export type { VerifyOptions, VerifyResult } from './verify-onnx';

export async function verifyExport(path: string, o: VerifyOptions = {}, ctx: JobContext = quietContext()): Promise<VerifyResult> {
  if (!path) throw new ExportError('verify-export needs an exported file or folder');
  // A missing path answers as any other non-export does: the API's errors tell no one which paths exist.
  if (!existsSync(path)) throw new ExportError(notAnExport(path));
  const isDir = statSync(path).isDirectory();
  const format = EXPORT_FORMATS.find((f) => f.holds(path, isDir));
  if (!format) throw new ExportError(notAnExport(path));
  return judged(await format.verify(path, o, ctx));
}

function notAnExport(path: string): string {
  return `${path} is neither an ONNX export folder (with model.onnx) nor a .gguf file`;
}

/** Where the app's numbers were compared: the verdict for the export's dtype. */
function judged(r: VerifyResult): VerifyResult {
  const dtype = r.dtype ?? null;
  return { ...r, dtype, ...(r.comparison ? { verdict: exportVerdict(dtype, r.comparison) } : {}) };
}
