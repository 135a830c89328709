// `npm run bench -- forward [--models a,b] [--ep cpu|webgpu] [--windows N] [--batch B] [--no-synthetic]`
// Perplexity pass (WikiText-2 test, 256-token windows) per model and EP: tokens/s, ppl vs
// reference.json, peak RSS. Then a synthetic random-weight model, written to a temp folder, whose
// weights are larger than the peak RSS of a forward over it — the layer streaming at work.
// This is also where the FULL dense perplexity check lives (the tests score a prefix of windows):
// `npm run bench -- forward` prints ok:true/false per model against the 0.05 % tolerance.
import { readFileSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openModel } from '../core/model/source';
import { loadTokenizer } from '../core/model/tokenizer';
import { perplexityWithRunner } from '../core/runtime/perplexity';
import { forward } from '../core/runtime/forward';
import { createBlockRunner } from '../core/runtime/runner';
import { writeSafetensors, type TensorToWrite } from '../core/model/safetensors-writer';
import type { ExecutionProvider } from '../core/runtime/contract';
import { SHARED_MODELS, sharedData } from '../test/shared';

const MODELS = SHARED_MODELS;
const WIKI = sharedData('wikitext-2-raw', 'wiki.test.raw');

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Hugging Face `wikitext-2-raw-v1` test rows: the file's lines with their newline kept. */
function wikiRows(): string[] {
  const parts = readFileSync(WIKI, 'utf8').split('\n');
  const rows = parts.slice(0, -1).map((l) => `${l}\n`);
  if (parts[parts.length - 1] !== '') rows.push(parts[parts.length - 1]);
  return rows;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function pplBench(name: string, ep: ExecutionProvider, maxWindows: number | undefined, batch: number) {
  const ref = JSON.parse(readFileSync(join(MODELS, 'reference.json'), 'utf8'))[name];
  const dir = join(MODELS, name);
  const t0 = performance.now();
  const tok = await loadTokenizer(dir);
  const ids = tok.encodeCorpus(wikiRows(), '\n\n');
  const tokenizeSeconds = (performance.now() - t0) / 1000;
  const src = await openModel(dir);
  const r = await perplexityWithRunner(src, ids, { ep, batch, maxWindows });
  const refPpl = ref?.dense_ppl_wikitext2_test_seq256_fp32;
  const full = maxWindows === undefined;
  const relErr = refPpl ? r.ppl / refPpl - 1 : null;
  const torch = torchReference(dir, ids, maxWindows, batch);
  const ours = Math.round(r.tokensPerSecond);
  return {
    model: name,
    ep,
    batch,
    corpusTokens: ids.length,
    refCorpusTokens: ref?.eval_tokens ?? null,
    tokenizeSeconds: +tokenizeSeconds.toFixed(2),
    windows: r.windows,
    ppl: +r.ppl.toFixed(4),
    refPpl: refPpl ?? null,
    relErr: relErr === null ? null : +relErr.toExponential(3),
    ok: full && relErr !== null ? Math.abs(relErr) < 5e-4 : null,
    seconds: +r.seconds.toFixed(2),
    tokensPerSecond: ours,
    peakRssMb: peakRssMb(),
    ...(torch ? { torch, speedVsTorch: 'tokensPerSecond' in torch ? +(ours / Number(torch.tokensPerSecond)).toFixed(3) : null } : {}),
  };
}

/** The same pass in PyTorch (bench/torch_ppl.py) when some python3 here can import torch; null otherwise. */
function torchReference(dir: string, ids: number[], maxWindows: number | undefined, batch: number): Record<string, unknown> | null {
  const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (!py) return null;
  const tmp = mkdtempSync(join(tmpdir(), 'slice-bench-torch-'));
  try {
    const file = join(tmp, 'ids.int32');
    writeFileSync(file, Buffer.from(Int32Array.from(ids).buffer));
    const script = new URL('./torch_ppl.py', import.meta.url).pathname;
    const threads = String(availableParallelism());
    const r = spawnSync(py, [script, dir, file, '256', String(batch), String(maxWindows ?? -1), threads], { encoding: 'utf8' });
    if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() ?? 'failed' };
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- synthetic streaming model ----------------------------------------------------------------

const SYN = { hidden: 1024, inter: 4096, layers: 24, heads: 16, kv: 8, vocab: 8192 };
const SYN_WINDOWS = 4;
const SYN_SEQ = 64;

export async function writeSynthetic(dir: string): Promise<number> {
  const { hidden: D, inter: F, layers: L, heads: H, kv, vocab: V } = SYN;
  const hd = D / H;
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: D,
      intermediate_size: F,
      num_attention_heads: H,
      num_key_value_heads: kv,
      num_hidden_layers: L,
      vocab_size: V,
      max_position_embeddings: 512,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      hidden_act: 'silu',
      tie_word_embeddings: false,
    }),
  );
  let s = 12345;
  const rnd = (n: number, std: number, mean = 0) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      a[i] = mean + std * ((s / 4294967296) * 2 - 1) * 1.7;
    }
    return a;
  };
  const t: TensorToWrite[] = [];
  const m = (name: string, rows: number, cols: number) => t.push({ name, dtype: 'F32', shape: [rows, cols], data: rnd(rows * cols, 1 / Math.sqrt(cols)) });
  const v = (name: string) => t.push({ name, dtype: 'F32', shape: [D], data: rnd(D, 0.1, 1) });
  m('model.embed_tokens.weight', V, D);
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    v(`${p}.input_layernorm.weight`);
    m(`${p}.self_attn.q_proj.weight`, D, D);
    m(`${p}.self_attn.k_proj.weight`, kv * hd, D);
    m(`${p}.self_attn.v_proj.weight`, kv * hd, D);
    m(`${p}.self_attn.o_proj.weight`, D, D);
    v(`${p}.post_attention_layernorm.weight`);
    m(`${p}.mlp.gate_proj.weight`, F, D);
    m(`${p}.mlp.up_proj.weight`, F, D);
    m(`${p}.mlp.down_proj.weight`, D, F);
  }
  v('model.norm.weight');
  m('lm_head.weight', V, D);
  await writeSafetensors(join(dir, 'model.safetensors'), t);
  return statSync(join(dir, 'model.safetensors')).size;
}

/** Runs in a child process so its peak RSS is the forward's alone. */
async function syntheticChild(dir: string, ep: ExecutionProvider) {
  const src = await openModel(dir);
  const runner = await createBlockRunner(src.arch, { ep });
  const seq = SYN_SEQ;
  const windows = Array.from({ length: SYN_WINDOWS }, (_, w) => Int32Array.from({ length: seq }, (_, i) => (i * 31 + w * 7) % SYN.vocab));
  const t0 = performance.now();
  await forward(src, runner, windows, { batch: 4 });
  const seconds = (performance.now() - t0) / 1000;
  await runner.dispose();
  process.stdout.write(JSON.stringify({ seconds: +seconds.toFixed(2), tokensPerSecond: Math.round((SYN_WINDOWS * seq) / seconds), peakRssMb: peakRssMb() }));
}

async function syntheticBench(ep: ExecutionProvider) {
  const dir = mkdtempSync(join(tmpdir(), 'slice-bench-synthetic-'));
  try {
    const bytes = await writeSynthetic(dir);
    const root = new URL('..', import.meta.url).pathname;
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/main.ts'), 'forward', '--synthetic-child', dir, '--ep', ep], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`synthetic child failed: ${r.stderr.trim().split('\n').pop()}`);
    const child = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const weightsMb = Math.round(bytes / 2 ** 20);
    return { model: 'synthetic-llama', ...SYN, ep, weightsMb, ...child, streamed: child.peakRssMb < weightsMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const ep = (opt(args, 'ep') ?? 'cpu') as ExecutionProvider;
  const child = opt(args, 'synthetic-child');
  if (child) return syntheticChild(child, ep);
  const models = (opt(args, 'models') ?? 'tiny-llama,tiny-opt,tiny-phi,tiny-stories').split(',').filter(Boolean);
  const w = opt(args, 'windows');
  const batch = Number(opt(args, 'batch') ?? 8);
  const results: unknown[] = [];
  for (const m of models) {
    results.push(await pplBench(m, ep, w === undefined ? undefined : Number(w), batch));
    console.error(JSON.stringify(results[results.length - 1]));
  }
  if (!args.includes('--no-synthetic')) results.push(await syntheticBench(ep));
  console.log(JSON.stringify({ bench: 'forward', results }, null, 1));
}
