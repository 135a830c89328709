// `verifyExport`: load an export in the runtime it is for and report its WikiText-2 perplexity and a
// greedy continuation next to the app's numbers. A folder with model.onnx (or the .onnx file itself) goes
// to onnxruntime-node (verify-onnx.ts); a .gguf file to llama.cpp through node-llama-cpp (verify-gguf.ts).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { quietContext, type JobContext } from '../jobs/context';
import { ExportError } from './errors';
import { optionalExport } from './optional';
import { ONNX_MODEL } from './onnx';
import { verifyOnnx, type VerifyOptions, type VerifyResult } from './verify-onnx';

const VERIFY_GGUF = './verify-gguf';

export type { VerifyOptions, VerifyResult } from './verify-onnx';

export async function verifyExport(path: string, o: VerifyOptions = {}, ctx: JobContext = quietContext()): Promise<VerifyResult> {
  if (!path) throw new ExportError('verify-export needs an exported file or folder');
  if (!existsSync(path)) throw new ExportError(`no such file or folder: ${path}`);
  const isDir = statSync(path).isDirectory();
  if (isDir && existsSync(join(path, ONNX_MODEL))) return verifyOnnx(path, o, ctx);
  if (!isDir && path.endsWith('.onnx')) {
    if (!path.endsWith(ONNX_MODEL)) throw new ExportError(`expected an export folder with ${ONNX_MODEL}, got ${path}`);
    return verifyOnnx(dirname(path), o, ctx);
  }
  if (!isDir && path.toLowerCase().endsWith('.gguf')) {
    const verifyGguf = await optionalExport<(file: string, o: object) => Promise<VerifyResult>>(VERIFY_GGUF, 'verifyGguf', 'GGUF verification');
    return verifyGguf(path, { ...o, ctx });
  }
  if (isDir && existsSync(join(path, 'slicing_config.json')))
    throw new ExportError(`${path} is a safetensors (sliced model) folder: Slice Studio runs it directly (slice-studio ppl ${path}); verify-export checks ONNX folders and .gguf files`);
  throw new ExportError(`${path} is neither an ONNX export folder (with ${ONNX_MODEL}) nor a .gguf file`);
}
