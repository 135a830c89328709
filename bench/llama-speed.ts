// Dense vs sliced decode speed in llama.cpp (#14): the GGUF exports of the same two folders infer-speed times in the
// app, timed in node-llama-cpp on one backend with every layer offloaded (core/export/llama-cpp-speed.ts: batch-1
// prefill tokens/s at --prompt, greedy decode ms/token over --new steps after --decode-prompt; a warm-up, then
// --repeats runs, the lower median — measureShapes' protocol).
//   npm run bench -- llama-speed --dense A --sliced B [--gpu vulkan|cuda|cpu] [--dtypes f16,q8_0] [--work DIR] [--prompt 2048]
//     [--decode-prompt 128] [--new 32] [--repeats 2] [--threads N] [--flash-attn] [--label L] [--json OUT]
// A and B are .gguf files or model folders; a folder is first exported to GGUF F16 as <work>/<name>-f16.gguf (kept,
// and reused by a later run). infer-speed's --config folders qualify: its "sliced" folder is a dense LLaMA of the
// uniform slice's shapes. On the GPU machine: bench/device/llama.sh (kit: `bash bench/device/kit.sh llama`).
// The report goes to --json after every model (a call that runs out of time keeps what it has), and to stdout.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { quietContext } from '../core/base/job-context';
import { exportGguf } from '../core/export/gguf/index';
import type { GgufDtype } from '../core/export/gguf/constants';
import { LLAMA_CPP_BACKENDS, measureLlamaCppSpeed, releaseLlamaCppSpeed, type LlamaCppBackend } from '../core/export/llama-cpp-speed';
import { userMessage } from '../core/base/user-error';
import { flags } from './lib/flags';

const log = (m: string) => process.stderr.write(`${m}\n`);

/** A .gguf file as is; a model folder exported to GGUF `dtype` (f16, q8_0, …) in `work` once. */
async function ggufOf(input: string, work: string, dtype: GgufDtype): Promise<{ file: string; exportSeconds?: number }> {
  if (input.endsWith('.gguf')) return { file: input };
  const file = join(work, `${basename(resolve(input))}-${dtype}.gguf`);
  if (existsSync(file)) return { file };
  const t = performance.now();
  mkdirSync(work, { recursive: true });
  await exportGguf(quietContext(), { model: input, dtype, out: file });
  const exportSeconds = (performance.now() - t) / 1000;
  log(`exported ${input} → ${file} (${(statSync(file).size / 2 ** 30).toFixed(2)} GiB) in ${exportSeconds.toFixed(1)} s`);
  return { file, exportSeconds };
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const backend = (f.get('gpu') ?? 'vulkan') as LlamaCppBackend;
  if (!LLAMA_CPP_BACKENDS.includes(backend)) throw new Error(`llama-speed: --gpu must be one of ${LLAMA_CPP_BACKENDS.join(', ')}`);
  const num = (k: string, d: number) => Number(f.get(k) ?? d);
  const o = {
    backend,
    promptTokens: num('prompt', 2048),
    decodePrompt: num('decode-prompt', 128),
    newTokens: num('new', 32),
    repeats: num('repeats', 2),
    threads: f.has('threads') ? num('threads', 0) : undefined,
    flashAttention: f.has('flash-attn'),
  };
  const work = f.get('work') ?? '/tmp/llama-speed';
  const dtypes = (f.get('dtypes') ?? 'f16').split(',') as GgufDtype[];
  const json = f.get('json');
  const report: Record<string, unknown> = { bench: 'llama-speed', label: f.get('label') ?? 'here', backend, options: o, protocol: 'batch 1; warm-up, then repeats, lower median (eval/speed.ts)', startedAt: new Date().toISOString(), models: {} };
  const save = () => json && writeFileSync(json, JSON.stringify(report, null, 1));
  const models = report.models as Record<string, Record<string, unknown>>;
  try {
    for (const dtype of dtypes)
      for (const base of ['dense', 'sliced'] as const) {
        const input = f.get(base);
        if (!input) continue;
        // The first dtype keeps the plain names (dense, sliced) that go.sh and assemble.py read; others are suffixed.
        const name = dtype === dtypes[0] ? base : `${base}-${dtype}`;
        try {
          const g = await ggufOf(input, work, dtype);
          const r = await measureLlamaCppSpeed(g.file, o);
          models[name] = { input, ggufDtype: dtype, exportSeconds: g.exportSeconds, ...r, decode: { ...r.decode, ids: r.decode.ids.slice(0, 8) } };
          log(
            `${name}: ${r.runtime.gpu || 'cpu'} [${r.runtime.devices.join(', ')}] width ${r.width}, ${r.gpuLayers}/${r.layers} layers offloaded: prefill ${r.prefill.tokensPerSecond.toFixed(0)} tokens/s, decode ${r.decode.msPerToken.toFixed(2)} ms/token (${r.decode.tokensPerSecond.toFixed(1)} tokens/s)`,
          );
        } catch (e) {
          models[name] = { input, error: userMessage(e).message };
          log(`${name}: ${userMessage(e).message}`);
        }
        save();
      }
  } finally {
    await releaseLlamaCppSpeed();
  }
  const at = (n: string, k: 'prefill' | 'decode') => (models[n]?.[k] as { tokensPerSecond?: number } | undefined)?.tokensPerSecond ?? NaN;
  report.slicedOverDenseDecodeBatch1 = at('sliced', 'decode') / at('dense', 'decode');
  report.slicedOverDensePrefillBatch1 = at('sliced', 'prefill') / at('dense', 'prefill');
  for (const d of dtypes.slice(1)) report[`slicedOverDenseDecodeBatch1_${d}`] = at(`sliced-${d}`, 'decode') / at(`dense-${d}`, 'decode');
  report.finishedAt = new Date().toISOString();
  save();
  log(`sliced/dense tokens/s in llama.cpp (${backend}): decode ${Number(report.slicedOverDenseDecodeBatch1).toFixed(3)}×, prefill ${Number(report.slicedOverDensePrefillBatch1).toFixed(3)}×`);
  console.log(JSON.stringify(report, null, 1));
}
