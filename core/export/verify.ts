// `verifyExport`: load an export in the runtime it is for and report its WikiText-2 perplexity and a
// greedy continuation next to the app's numbers. A folder with model.onnx (or the .onnx file itself) goes
// to onnxruntime-node (verify-onnx.ts); a .gguf file to llama.cpp through node-llama-cpp (verify-gguf.ts).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { quietContext, type JobContext } from '../base/job-context';
import { ExportError } from './errors';
import { releaseLlama, verifyGguf, type VerifyGgufResult } from './verify-gguf';
import { ONNX_MODEL } from './onnx';
import { verifyOnnx, type VerifyOptions, type VerifyResult } from './verify-onnx';
import { readManifest } from './model-files';
import { exportVerdict } from './verdict';

export type { VerifyOptions, VerifyResult } from './verify-onnx';

export async function verifyExport(path: string, o: VerifyOptions = {}, ctx: JobContext = quietContext()): Promise<VerifyResult> {
  if (!path) throw new ExportError('verify-export needs an exported file or folder');
  // A missing path answers as any other non-export does: the API's errors tell no one which paths exist.
  if (!existsSync(path)) throw new ExportError(notAnExport(path));
  const isDir = statSync(path).isDirectory();
  if (isDir && existsSync(join(path, ONNX_MODEL))) return judged(await verifyOnnx(path, o, ctx), readManifest(path)?.dtype ?? null);
  if (!isDir && path.endsWith('.onnx')) {
    if (!path.endsWith(ONNX_MODEL)) throw new ExportError(`expected an export folder with ${ONNX_MODEL}, got ${path}`);
    return judged(await verifyOnnx(dirname(path), o, ctx), readManifest(dirname(path))?.dtype ?? null);
  }
  if (!isDir && path.toLowerCase().endsWith('.gguf')) {
    try {
      const r = await verifyGguf(path, { source: o.source, maxWindows: o.maxWindows, seqLen: o.seqLen, prompt: o.prompt, maxNewTokens: o.maxNewTokens, compare: !o.skipInApp }, ctx);
      return judged(fromGguf(path, r), r.dtype);
    } finally {
      await releaseLlama();
    }
  }
  if (isDir && existsSync(join(path, 'slicing_config.json')))
    throw new ExportError(`${path} is a safetensors (sliced model) folder: Slice Studio runs it directly (slice-studio ppl ${path}); verify-export checks ONNX folders and .gguf files`);
  throw new ExportError(notAnExport(path));
}

function notAnExport(path: string): string {
  return `${path} is neither an ONNX export folder (with ${ONNX_MODEL}) nor a .gguf file`;
}

/** The result with its dtype and, where the app's numbers were compared, the verdict for that dtype. */
function judged(r: VerifyResult, dtype: string | null): VerifyResult {
  return { ...r, dtype, ...(r.comparison ? { verdict: exportVerdict(dtype, r.comparison) } : {}) };
}

/** llama.cpp's numbers in the shape every export's verification reports. */
function fromGguf(path: string, r: VerifyGgufResult): VerifyResult {
  const ppl = (p: number, seconds: number) => ({ ppl: p, windows: r.windows, seqLen: r.seqLen, tokens: r.tokens, seconds, tokensPerSecond: seconds > 0 ? r.tokens / seconds : 0 });
  const out: VerifyResult = {
    format: 'gguf',
    path,
    runtime: r.runtime,
    prompt: r.greedy.prompt,
    export: { perplexity: ppl(r.perplexity, r.seconds), greedy: { ids: r.greedy.ids, text: r.greedy.text, tokensPerSecond: 0 } },
  };
  if (r.inApp && r.source) {
    const a = r.inApp;
    out.inApp = { source: r.source, perplexity: ppl(a.perplexity, 0), greedy: { ids: a.greedy.ids, text: a.greedy.text, tokensPerSecond: 0 } };
    const n = Math.max(r.greedy.ids.length, a.greedy.ids.length);
    let first = -1;
    for (let i = 0; i < n && first < 0; i++) if (r.greedy.ids[i] !== a.greedy.ids[i]) first = i;
    out.comparison = { pplRelativeDifference: Math.abs(r.perplexity - a.perplexity) / a.perplexity, greedyIdentical: first < 0, firstDifference: first };
  }
  return out;
}
