// `npm run bench -- gguf-families [--windows 4] [--dtypes f16,q8_0,…]` — GGUF under llama.cpp's qwen2, phi3 and
// qwen3 architectures, every type, in the real runtime (node-llama-cpp, CPU). Random-weight models of the tiny
// fixtures' keys widened to D = 256 and MLP 512 (so every matrix fills 256-weight K-quant blocks: no fallback),
// dense; per type: file bytes, bits per weight, llama.cpp's perplexity next to the app's on the same windows
// (WikiText-2 test, our token ids, 256-token windows), greedy agreement. JSON on stdout and in
// bench/results/gguf-families-cpu-here.json. Perplexities of random models sit near the vocabulary size: the
// numbers say how far each type moves llama.cpp from the app, not model quality.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../core/base/job-context';
import { synthModel } from '../core/synth/synth';
import { exportGguf } from '../core/export/gguf/index';
import type { GgufDtype } from '../core/export/gguf/constants';
import { verifyGguf } from '../core/export/verify-gguf';
import { flags } from './lib/flags';
import { sharedData } from '../test/shared';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures');
const FAMILIES = [
  { family: 'qwen2', config: join(FIXTURES, 'gguf', 'tiny-qwen2.json'), tokenizer: 'gpt2', headDim: undefined },
  { family: 'phi3', config: join(FIXTURES, 'phi3', 'tiny-phi3.json'), tokenizer: 'llama-2', headDim: undefined },
  { family: 'qwen3', config: join(FIXTURES, 'families', 'tiny', 'qwen3.json'), tokenizer: 'llama-2', headDim: 64 },
];

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const windows = Number(f.get('windows') ?? 4);
  const dtypes = String(f.get('dtypes') ?? 'f16,q8_0,q4_0,q4_k,q5_k,q6_k,q4_k_m,q5_k_m').split(',') as GgufDtype[];
  const dir = mkdtempSync(join(tmpdir(), 'bench-gguf-families-'));
  const results: Record<string, unknown>[] = [];
  try {
    for (const fam of FAMILIES) {
      const config = { ...JSON.parse(readFileSync(fam.config, 'utf8')), hidden_size: 256, intermediate_size: 512, ...(fam.headDim ? { head_dim: fam.headDim } : {}) };
      const configFile = join(dir, `${fam.family}.json`);
      writeFileSync(configFile, JSON.stringify(config));
      const model = (await synthModel(quietContext(), { config: configFile, out: join(dir, fam.family), seed: 7, tokenizer: sharedData('tokenizers', fam.tokenizer), threads: 0 })).out;
      for (const dtype of dtypes) {
        const e = await exportGguf(quietContext(), { model, dtype, out: dir });
        const v = await verifyGguf(e.file, { maxWindows: windows, prompt: 'The tower is 324 metres tall,', maxNewTokens: 12, compare: true, threads: 1 });
        const row = {
          family: fam.family,
          architecture: e.architecture,
          dtype,
          bytes: e.bytes,
          bitsPerWeight: +e.bitsPerWeight.toFixed(4),
          fallbacks: e.fallbacks.length,
          pplLlamaCpp: +v.perplexity.toFixed(3),
          pplInApp: +v.inApp!.perplexity.toFixed(3),
          relPercent: +((v.perplexity / v.inApp!.perplexity - 1) * 100).toFixed(4),
          greedyIdentical: v.greedy.ids.join() === v.inApp!.greedy.ids.join(),
          windows: v.windows,
        };
        process.stderr.write(`${JSON.stringify(row)}\n`);
        results.push(row);
        rmSync(e.file, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = { bench: 'gguf-families', machine: 'this machine (2 shared cores), llama.cpp through node-llama-cpp CPU, threads 1', windows, seqLen: 256, model: 'random weights, D 256, MLP 512, 2 layers', results };
  writeFileSync(join(import.meta.dirname, 'results', 'gguf-families-cpu-here.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
}
