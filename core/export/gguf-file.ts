// The GGUF row's writer and verifier (formats.ts): one .gguf file (and its Ollama Modelfile) written by
// gguf/, checked in llama.cpp through node-llama-cpp (verify-gguf.ts).
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { JobContext } from '../base/job-context';
import { ExportError } from './errors';
import type { ExportResult, WriteOptions } from './export-types';
import { exportGguf } from './gguf/index';
import { isGgufFile } from './gguf/replaceable';
import { releaseLlama, verifyGguf, type VerifyGgufResult } from './verify-gguf';
import type { VerifyOptions, VerifyResult } from './verify-onnx';

const sizeOf = (p: string) => (statSync(p).isFile() ? statSync(p).size : 0);

export async function exportGgufFile(ctx: JobContext, o: WriteOptions, runtime: string): Promise<ExportResult> {
  if (existsSync(o.out) && statSync(o.out).isFile()) {
    if (!o.overwrite) throw new ExportError(`${o.out} exists; pass --force to replace it`);
    // --force replaces a GGUF file, never some other file that happens to sit at --out.
    if (!isGgufFile(o.out)) throw new ExportError(`${o.out} is not a GGUF file: it is never replaced; choose another --out`);
  }
  const r = await exportGguf(ctx, { model: o.model, out: o.out, dtype: o.dtype ?? 'f16' });
  const files = [{ name: basename(r.file), bytes: r.bytes }];
  if (existsSync(r.modelfile)) files.push({ name: basename(r.modelfile), bytes: sizeOf(r.modelfile) });
  return { format: 'gguf', path: resolve(r.file), dtype: r.dtype, bytes: r.bytes, files, seconds: r.seconds, runtime, details: r };
}

export async function verifyGgufExport(path: string, o: VerifyOptions, ctx: JobContext): Promise<VerifyResult> {
  try {
    const r = await verifyGguf(path, { source: o.source, maxWindows: o.maxWindows, seqLen: o.seqLen, prompt: o.prompt, maxNewTokens: o.maxNewTokens, compare: !o.skipInApp, ...(o.ep ? { ep: o.ep } : {}) }, ctx);
    return { ...fromGguf(path, r), dtype: r.dtype };
  } finally {
    await releaseLlama();
  }
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
