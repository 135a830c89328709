// Prefill / decode speed with a KV cache at batch 1 and a larger batch, JSON on stdout.
//   npm run bench -- speed [folder …] [--batch N] [--ep cpu] [--prompt P] [--new N] [--repeats R]
// Without folders: tiny-llama. Each model runs in this process one after the other; peak RSS is the
// process's, so compare memory only from separate invocations.
import { bench, type BenchResult } from '../core/eval/speed';
import { quietContext } from '../core/base/job-context';
import type { ExecutionProvider } from '../core/runtime/contract';
import { sharedModel } from '../test/shared';

export async function main(args: string[]): Promise<void> {
  const models: string[] = [];
  const p: { batch?: number; ep?: ExecutionProvider; promptTokens?: number; newTokens?: number; repeats?: number } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--batch') p.batch = Number(args[++i]);
    else if (a === '--ep') p.ep = args[++i] as ExecutionProvider;
    else if (a === '--prompt') p.promptTokens = Number(args[++i]);
    else if (a === '--new') p.newTokens = Number(args[++i]);
    else if (a === '--repeats') p.repeats = Number(args[++i]);
    else models.push(a);
  }
  if (models.length === 0) models.push(sharedModel('tiny-llama'));
  const results: BenchResult[] = [];
  for (const model of models) results.push(await bench(quietContext(), { model, ...p }));
  console.log(JSON.stringify({ bench: 'speed', results }, null, 1));
}
