// llama.cpp's perplexity of a fresh GGUF export under the app's default protocol (ppl-protocol.ts: the first 64
// windows of 256 tokens of WikiText-2 test, scored on our tokenizer's ids), so that every slice × quantization
// of a model has a perplexity next to its file size. It reuses verify-export's llama.cpp path (verify-gguf.ts).
import type { JobContext } from '../base/job-context';
import { DEFAULT_PPL_SEQLEN, DEFAULT_PPL_WINDOWS, pplProtocol, type PplProtocol } from '../runtime/ppl-protocol';
import { releaseLlama, verifyGguf } from './verify-gguf';

export interface GgufPerplexity {
  ppl: number;
  protocol: PplProtocol;
  runtime: string;
  seconds: number;
}

export async function ggufPerplexity(ctx: JobContext, file: string, source: string, windows = DEFAULT_PPL_WINDOWS): Promise<GgufPerplexity> {
  try {
    // One new token: the greedy continuation is verify-export's business, not this measurement's.
    const r = await verifyGguf(file, { source, maxWindows: windows, seqLen: DEFAULT_PPL_SEQLEN, tokenizer: 'ours', maxNewTokens: 1 }, ctx);
    const of = r.tokenCounts.ours !== null ? Math.floor(r.tokenCounts.ours / r.seqLen) : null;
    return { ppl: r.perplexity, protocol: pplProtocol('wikitext2', r.seqLen, r.windows, of), runtime: r.runtime, seconds: r.seconds };
  } finally {
    // A live llama.cpp backend aborts a worker thread's teardown (verify-gguf.ts).
    await releaseLlama();
  }
}
