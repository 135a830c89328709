// The shapes of a continuation: its options, its result, and the token-per-call Decoder that generate.ts's
// ORT path and the WGSL decoder's sequence (wgsl-decode/sequence.ts) both are.
import type { SamplingOptions } from './sampling';

export interface GenerateOptions {
  maxNewTokens?: number;
  /** Stop at these ids (default: the config's eos token). An empty list never stops early. */
  stopIds?: number[];
  /** Called with each new token id as it is produced. */
  onToken?: (id: number) => void;
  /** Sampled decoding (temperature, top-p, seed); greedy when absent or at temperature 0. */
  sampling?: SamplingOptions;
}

export interface GenerateResult {
  /** The new ids only. */
  ids: number[];
  promptTokens: number;
  /** Seconds for the prompt pass and for the new tokens. */
  prefillSeconds: number;
  decodeSeconds: number;
  tokensPerSecond: number;
}

/** A decoder's result from its clocks: the first new token comes out of the prompt pass, decoding made the others. */
export function generateResult(ids: readonly number[], promptTokens: number, prefillMs: number, decodeMs: number): GenerateResult {
  return { ids: [...ids], promptTokens, prefillSeconds: prefillMs / 1000, decodeSeconds: decodeMs / 1000, tokensPerSecond: ids.length > 1 ? (ids.length - 1) / (decodeMs / 1000 || 1e-9) : 0 };
}

/**
 * One model's continuation, a token per `next()` (null once it has stopped): the prompt pass on the first
 * call, then one cached position per call. Time is counted only inside `next()`, so two decoders stepped
 * in turn (dense and sliced side by side) each measure their own tokens/s.
 */
export interface Decoder {
  next(): Promise<number | null>;
  result(): GenerateResult;
  /** Frees the KV cache now (device buffers too); a stopped decoder has done so already. */
  close(): void;
}
