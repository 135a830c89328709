// Greedy decoding of one sequence with the WGSL decoder, in greedyDecode's shape (decode-step.ts, batch 1):
// the ids chosen after the prompt and after each of `steps` one-token steps. The prompt goes in one token a
// step with nothing read back until its last token, so the host waits on the device once per generated id.
import type { GreedyHooks } from '../decode-step';
import type { WgslDecoder } from './decoder';

export async function greedyDecodeWgsl(dec: WgslDecoder, prompt: Int32Array, steps: number, hooks: GreedyHooks = {}): Promise<Int32Array[]> {
  if (prompt.length === 0) throw new Error('WGSL decoding needs a prompt of at least one token');
  if (prompt.length + steps > dec.context) throw new Error(`WGSL decoding: ${prompt.length} prompt tokens and ${steps} steps exceed the context of ${dec.context}`);
  dec.reset();
  const P = prompt.length;
  for (let i = 0; i < P - 1; i++) dec.feed(prompt[i], i);
  let next = (await dec.step(prompt[P - 1], P - 1)).next;
  hooks.afterPrompt?.();
  const ids = [Int32Array.of(next)];
  for (let i = 0; i < steps; i++) {
    hooks.beforeStep?.(i);
    next = (await dec.step(next, P + i)).next;
    ids.push(Int32Array.of(next));
  }
  return ids;
}
