// Turning a (context, continuation) request into token ids the way lm-evaluation-harness 0.4 does for a
// causal LM (`HFLM._encode_pair` and `loglikelihood`):
// - trailing whitespace of the context moves to the front of the continuation;
// - context + continuation are encoded TOGETHER without special tokens, the context alone likewise, and
//   the continuation's tokens are those of the whole after the context's own token count (so a merge
//   across the boundary is scored as part of the continuation, exactly as lm-eval does);
// - an empty context becomes the single prefix token (BOS, else EOS) and the continuation is encoded alone;
// - the model sees (context + continuation)[-(maxLength+1):][:-1]: left truncation to the window
//   (see modelInput for a continuation that alone overflows it).

/** The part of a tokenizer the scorer needs (core/model/tokenizer.ts satisfies it). */
export interface EvalTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): ArrayLike<number>;
  /** lm-eval's prefix token for an empty context is the tokenizer's BOS, else its EOS. */
  readonly bosTokenId?: number | null;
  readonly eosTokenId?: number | null;
}

/** lm-eval's `prefix_token_id`: BOS, else EOS (the tokenizer's, falling back to the model config's). */
export function prefixTokenId(tok: EvalTokenizer, config: { bosTokenId: number | null; eosTokenId: number | null }): number | null {
  return tok.bosTokenId ?? tok.eosTokenId ?? config.bosTokenId ?? config.eosTokenId;
}

export interface EncodedPair {
  context: number[];
  continuation: number[];
}

export class EncodingError extends Error {
  override name = 'EncodingError';
}

const trailingSpaces = (s: string): number => s.length - s.replace(/\s+$/u, '').length;

/** lm-eval's `_encode_pair` plus the empty-context rule of `loglikelihood`. */
export function encodePair(tok: EvalTokenizer, context: string, continuation: string, prefixTokenId: number | null): EncodedPair {
  const enc = (s: string) => Array.from(tok.encode(s, { addSpecialTokens: false }));
  if (context === '') {
    if (prefixTokenId === null) throw new EncodingError('an empty context needs a BOS or EOS token, and the model has neither');
    return { context: [prefixTokenId], continuation: enc(continuation) };
  }
  const n = trailingSpaces(context);
  if (n > 0) {
    continuation = context.slice(context.length - n) + continuation;
    context = context.slice(0, context.length - n);
  }
  const whole = enc(context + continuation);
  const ctx = enc(context);
  return { context: ctx, continuation: whole.slice(ctx.length) };
}

export interface ModelInput {
  /** Token ids fed to the model. */
  input: number[];
  /** The continuation tokens scored, at the last `continuation.length` positions of `input`. */
  continuation: number[];
  /** Continuation tokens left unscored because the continuation alone overflows the window. */
  dropped?: number;
}

/**
 * lm-eval's `(context_enc + continuation_enc)[-(max_length + 1):][:-1]`: the context is cut from the
 * left to fit. A continuation longer than the window itself (lm-eval fails there: its logits slice is
 * shorter than the continuation) is scored on its last `maxLength` tokens, each with the window's left
 * context, and `dropped` says how many leading tokens were not scored.
 */
export function modelInput(pair: EncodedPair, maxLength: number): ModelInput {
  if (pair.continuation.length === 0) throw new EncodingError('continuation encodes to no tokens');
  const whole = pair.context.concat(pair.continuation);
  const input = whole.slice(-(maxLength + 1)).slice(0, -1);
  if (pair.continuation.length <= maxLength) return { input, continuation: pair.continuation };
  return { input, continuation: pair.continuation.slice(-maxLength), dropped: pair.continuation.length - maxLength };
}
