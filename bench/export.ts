// `npm run bench -- export [flags]` — ONNX/safetensors export measurements, JSON on stdout.
//
// For each model: slice at --ratio under the slicing benchmark's protocol (calibration = the first 64
// windows of 256 tokens of WikiText-2, round 8, head unsliced), export the dense and the sliced model to
// ONNX in each --dtypes, and verify each export in a plain onnxruntime session: WikiText-2 test perplexity
// by the protocol (all windows unless --windows N) next to the app's own number, and greedy 30 tokens
// through the KV cache next to the app's. Also the export sizes, and the safetensors export of the slice.
//   flags: --models a,b  --ratio 0.25  --dtypes f32,f16  --windows N  --nsamples 64  --no-dense  --models-dir DIR
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { quietContext, type JobContext } from '../core/base/job-context';
import { sliceModel } from '../core/slicegpt/slice-model';
import { exportOnnx } from '../core/export/onnx';
import { exportSafetensors } from '../core/export/safetensors';
import { verifyOnnx, type VerifyResult } from '../core/export/verify-onnx';
import type { WeightDtype } from '../core/export/onnx-assembler';
import { flags } from './lib/flags';
import { SHARED_MODELS } from '../test/shared';

const log = (m: string) => process.stderr.write(`${m}\n`);
const ctx: JobContext = { ...quietContext(), log };

function summary(v: VerifyResult) {
  return {
    pplExport: v.export.perplexity.ppl,
    pplInApp: v.inApp?.perplexity.ppl,
    pplRelativeDifference: v.comparison?.pplRelativeDifference,
    windows: v.export.perplexity.windows,
    greedyIdentical: v.comparison?.greedyIdentical,
    greedyText: v.export.greedy.text,
    exportTokensPerSecond: Math.round(v.export.perplexity.tokensPerSecond),
    inAppTokensPerSecond: v.inApp ? Math.round(v.inApp.perplexity.tokensPerSecond) : undefined,
    exportDecodeTokensPerSecond: Math.round(v.export.greedy.tokensPerSecond),
  };
}

async function exportAndVerify(model: string, dir: string, dtype: WeightDtype, maxWindows: number | undefined) {
  const out = join(dir, `onnx-${dtype}`);
  const e = await exportOnnx(ctx, { model, out, dtype });
  const v = await verifyOnnx(out, { maxWindows, maxNewTokens: 30 }, ctx);
  const data = e.files.find((f) => f.name === 'model.onnx.data')!.bytes;
  log(`${model} ${dtype}: ${(e.bytes / 2 ** 20).toFixed(2)} MiB, ppl ${v.export.perplexity.ppl.toFixed(4)} vs app ${v.inApp?.perplexity.ppl.toFixed(4)}, greedy identical ${v.comparison?.greedyIdentical}`);
  rmSync(out, { recursive: true, force: true });
  return { dtype, bytes: e.bytes, dataBytes: data, exportSeconds: +e.seconds.toFixed(2), ...summary(v) };
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const modelsDir = resolve(f.get('models-dir') ?? SHARED_MODELS);
  const models = (f.get('models') ?? 'tiny-llama,tiny-opt,tiny-phi,tiny-stories').split(',');
  const ratio = Number(f.get('ratio') ?? 0.25);
  const dtypes = (f.get('dtypes') ?? 'f32,f16').split(',') as WeightDtype[];
  const maxWindows = f.has('windows') ? Number(f.get('windows')) : undefined;
  const nsamples = Number(f.get('nsamples') ?? 64);
  const report: Record<string, unknown> = {
    protocol: { ratio, calibration: 'wikitext2, first windows', nsamples, seqlen: 256, round: 8, sliceHead: false, evalSeqLen: 256, maxWindows: maxWindows ?? 'all', greedyTokens: 30, runtime: 'onnxruntime-node, plain InferenceSession, CPU' },
    models: {},
  };
  for (const name of models) {
    const folder = join(modelsDir, name);
    const dir = mkdtempSync(join(tmpdir(), `bench-export-${name}-`));
    try {
      const entry: Record<string, unknown> = {};
      if (!f.has('no-dense')) {
        const dense = [];
        for (const dt of dtypes) dense.push(await exportAndVerify(folder, join(dir, 'dense'), dt, maxWindows));
        entry.dense = dense;
      }
      const sliced = join(dir, 'sliced');
      const s = await sliceModel(ctx, { model: folder, ratio, cal: 'wikitext2', nsamples, seqlen: 256, sampling: 'first', seed: 0, round: 8, sliceHead: false, out: sliced, ep: 'cpu', resume: false });
      const onnx = [];
      for (const dt of dtypes) onnx.push(await exportAndVerify(sliced, join(dir, 'sliced-export'), dt, maxWindows));
      const st = await exportSafetensors(ctx, { model: sliced, out: join(dir, 'safetensors') });
      const st16 = await exportSafetensors(ctx, { model: sliced, out: join(dir, 'safetensors-f16'), dtype: 'f16' });
      entry.sliced = { d: s.d, onnx, safetensorsBytes: { asSliced: st.bytes, f16: st16.bytes } };
      (report.models as Record<string, unknown>)[name] = entry;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(report, null, 2));
}
