// generate.ts's Decoder (one token per next()) over the WGSL decoder: the prompt fed a token a step (only its
// last token's result read back), then one position per call. Greedy decoding reads back the id the device's
// argmax chose; sampled decoding reads the logits and draws with the same chooser as the ORT path.
import { generateResult, type Decoder, type GenerateOptions } from '../generate-types';
import { tokenChooser } from '../sampling';
import type { WgslDecoder } from './decoder';

/**
 * `dec` must hold `prompt.length + maxNewTokens` positions (the caller checked them against the model's);
 * `eosTokenId` stops it where `opts.stopIds` is not given. close() frees nothing: the caller owns `dec`.
 */
export function openWgslSequence(dec: WgslDecoder, prompt: ArrayLike<number>, opts: GenerateOptions, eosTokenId: number | null): Decoder {
  const maxNew = opts.maxNewTokens ?? 64;
  const P = prompt.length;
  if (P === 0) throw new Error('WGSL decoding needs a prompt of at least one token');
  if (P + maxNew > dec.context) throw new Error(`WGSL decoding: ${P} prompt tokens and ${maxNew} new ones exceed the decoder's ${dec.context} positions`);
  const stop = new Set(opts.stopIds ?? (eosTokenId !== null ? [eosTokenId] : []));
  const greedy = !opts.sampling || opts.sampling.temperature === 0;
  const choose = tokenChooser(opts.sampling);
  const ids: number[] = [];
  let prefillMs = 0;
  let decodeMs = 0;
  let done = false;
  const pick = async (token: number, pos: number) => {
    const r = await dec.step(token, pos, greedy ? 'id' : 'logits');
    return greedy ? r.next : choose(r.logits!);
  };
  const finish = (id: number): number => {
    ids.push(id);
    opts.onToken?.(id);
    if (ids.length >= maxNew || stop.has(id)) done = true;
    return id;
  };
  dec.reset();
  return {
    async next() {
      if (done) return null;
      const t0 = performance.now();
      if (ids.length === 0) {
        for (let i = 0; i < P - 1; i++) dec.feed(prompt[i], i);
        const id = await pick(prompt[P - 1], P - 1);
        prefillMs += performance.now() - t0;
        return finish(id);
      }
      const id = await pick(ids[ids.length - 1], P + ids.length - 1);
      decodeMs += performance.now() - t0;
      return finish(id);
    },
    close: () => {
      done = true;
    },
    result: () => generateResult(ids, P, prefillMs, decodeMs),
  };
}
