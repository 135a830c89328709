// `export` and `verify-export`: write a dense or sliced model as ONNX (KV cache), GGUF or a documented
// safetensors folder, and check an export in the runtime it is for. The export run records its artifact
// (path, bytes, sha256, format, runtime); the verify run records both perplexities and whether the greedy
// continuations agree.
import { resolve } from 'node:path';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { boolean, literal, nonEmptyString, object, optional, PayloadError, positiveInteger, string, type Validator } from '../../base/validate';
import { pplProtocol, type PplProtocol } from '../../runtime/ppl-protocol';
import { windowsParam } from './ppl';
import { executionProvider } from './common';
import type { ExecutionProvider } from '../../runtime/contract';
import { DTYPES, FORMATS, type ExportDtype, type ExportFormat, type ExportResult } from '../../export/formats';
import type { VerifyResult } from '../../export/verify-onnx';
import type { GgufPerplexity } from '../../export/gguf-perplexity';
import type { HandoffResult } from '../../export/handoff/index';

const absolutePath: Validator<string> = {
  describe: 'a path',
  check: (v, where) => resolve(nonEmptyString.check(v, where)),
};

export interface ExportParams {
  model: string;
  format: ExportFormat;
  dtype?: ExportDtype;
  out: string;
  overwrite?: boolean;
  /** GGUF: measure llama.cpp's perplexity of the file under the default protocol (the app turns it on). */
  ppl?: boolean;
  /** GGUF: `ollama create <name>` when ollama is on PATH (else the command to run is in the result). */
  ollama?: string;
  /** GGUF: copy into LM Studio's models folder when it exists. */
  lmstudio?: boolean;
}

export const exportParams: Validator<ExportParams> = object({
  model: absolutePath,
  format: literal(...FORMATS),
  dtype: optional(literal(...DTYPES)),
  out: absolutePath,
  overwrite: optional(boolean),
  ppl: optional(boolean),
  ollama: optional(nonEmptyString),
  lmstudio: optional(boolean),
});

export interface ExportJobResult extends ExportResult {
  sha256: string;
  /** GGUF with `ppl`: llama.cpp's perplexity of the file and what it was measured on. */
  llamaCpp?: GgufPerplexity;
  /** GGUF: what was handed to Ollama / LM Studio, and the commands for what was not. */
  handoff?: HandoffResult;
}

const base = (p: string) => p.split(/[\\/]/).pop();

export const exportJob = defineJob({
  kind: 'export',
  runKind: 'export',
  summary: 'Export a dense or sliced model as ONNX (KV cache), GGUF or safetensors',
  cli: {
    positionalLabel: 'a model folder (dense or sliced)',
    positionalUsage: '<model-or-sliced-folder>',
    flags: { format: { required: `export needs --format (${FORMATS.join(', ')})` }, out: { path: true, value: '<path>' }, overwrite: { flag: 'force' }, ollama: { value: '<name>' } },
  },
  params: exportParams,
  describe: (p) => `export ${base(p.model)} → ${p.format}${p.dtype ? ` ${p.dtype}` : ''}`,
  modelPath: (p) => p.model,
  outputs: (p) => [p.out],
  async run(ctx, p): Promise<ExportJobResult> {
    const { exportModel } = await import('../../export/index');
    const { sha256Path } = await import('../../export/hash');
    const { ppl, ollama, lmstudio, ...o } = p;
    const r = await exportModel(ctx, o);
    // GGUF hashes its file as it writes it; hash the rest here (streamed).
    const known = (r.details as { sha256?: unknown } | null)?.sha256;
    const sha256 = typeof known === 'string' ? known : await sha256Path(r.path, ctx);
    ctx.log(`wrote ${r.path} (${r.bytes} bytes, sha256 ${sha256.slice(0, 12)}…)`);
    if (r.format !== 'gguf') return { ...r, sha256 };
    const modelfile = (r.details as { modelfile: string }).modelfile;
    let llamaCpp: GgufPerplexity | undefined;
    if (ppl) {
      const { ggufPerplexity } = await import('../../export/gguf-perplexity');
      llamaCpp = await ggufPerplexity(ctx, r.path, p.model);
      ctx.log(`llama.cpp perplexity ${llamaCpp.ppl.toFixed(3)} (${llamaCpp.protocol.windows}×${llamaCpp.protocol.seqlen}, ${llamaCpp.seconds.toFixed(1)} s)`);
    }
    const { handoff } = await import('../../export/handoff/index');
    const h = await handoff(ctx, { file: r.path, modelfile, ollama, lmstudio });
    return { ...r, sha256, handoff: h, ...(llamaCpp ? { llamaCpp } : {}) };
  },
  records: (r): RunRecords => ({
    metrics: [
      { name: 'bytes', value: r.bytes, unit: 'B' },
      { name: 'seconds', value: r.seconds, unit: 's' },
      // The file's perplexity in llama.cpp: with its size, one point of the model's size × quality chart.
      ...(r.llamaCpp
        ? [
            { name: 'ppl_llamacpp', value: r.llamaCpp.ppl, protocol: r.llamaCpp.protocol },
            { name: 'ppl_llamacpp_seconds', value: r.llamaCpp.seconds, unit: 's' },
          ]
        : []),
      // A GGUF's bits per weight after llama.cpp-style fallbacks (what the file really spends per weight).
      ...(typeof (r.details as { bitsPerWeight?: unknown } | null)?.bitsPerWeight === 'number' ? [{ name: 'bits_per_weight', value: (r.details as { bitsPerWeight: number }).bitsPerWeight, unit: 'bit' }] : []),
    ],
    artifacts: [{ path: r.path, kind: 'model', format: `${r.format}${r.dtype ? `:${r.dtype}` : ''}`, bytes: r.bytes, sha256: r.sha256, runtime: r.runtime }],
  }),
});

export interface VerifyExportParams {
  path: string;
  source?: string;
  skipInApp?: boolean;
  /** The first n windows (default: the default protocol's, ppl-protocol.ts)… */
  maxWindows?: number;
  /** …or all of WikiText-2 test. */
  allWindows?: boolean;
  prompt?: string;
  maxNewTokens?: number;
  /** Where the app's numbers run (default cpu). */
  ep?: ExecutionProvider;
}

const verifyShape: Validator<VerifyExportParams> = object({
  path: absolutePath,
  source: optional(absolutePath),
  skipInApp: optional(boolean),
  maxWindows: optional(positiveInteger),
  allWindows: optional(boolean),
  prompt: optional(string),
  maxNewTokens: optional(positiveInteger),
  ep: optional(executionProvider),
});

export const verifyExportParams = paramsFrom('verification parameters', verifyShape, (p, where): VerifyExportParams => {
  if (p.allWindows && p.maxWindows !== undefined) throw new PayloadError(`${where}: maxWindows and allWindows exclude each other`);
  return { ...p, ...windowsParam(p) };
});

/** The protocol of a verification's perplexities (export and app score the same windows of WikiText-2 test). */
const verifyProtocol = (r: VerifyResult): PplProtocol => pplProtocol('wikitext2', r.export.perplexity.seqLen, r.export.perplexity.windows);

export const verifyExportJob = defineJob({
  kind: 'verify-export',
  runKind: 'verify',
  summary: 'Load an export in its runtime (onnxruntime, llama.cpp): perplexity and greedy text next to the app',
  cli: {
    positional: 'path',
    positionalLabel: 'an exported folder (ONNX) or .gguf file',
    positionalUsage: '<file-or-folder>',
    flags: { source: { path: true, value: '<folder>' }, skipInApp: { flag: 'export-only' }, maxWindows: { min: 1, max: 1 << 30 }, prompt: { value: 'TEXT' }, maxNewTokens: { min: 1, max: 4096 } },
  },
  params: verifyExportParams,
  describe: (p) => `verify ${base(p.path)}`,
  modelPath: (p) => p.source,
  async run(ctx, p): Promise<VerifyResult & { protocol: PplProtocol }> {
    const { verifyExport } = await import('../../export/verify');
    const { path, allWindows: _all, ...opts } = p;
    const r = await verifyExport(path, opts, ctx);
    return { ...r, protocol: verifyProtocol(r) };
  },
  records: (r): RunRecords => ({
    metrics: [
      { name: 'ppl_export', value: r.export.perplexity.ppl, protocol: verifyProtocol(r) },
      { name: 'windows', value: r.export.perplexity.windows },
      ...(r.inApp ? [{ name: 'ppl_in_app', value: r.inApp.perplexity.ppl, protocol: verifyProtocol(r) }] : []),
      ...(r.comparison
        ? [
            { name: 'ppl_relative_difference', value: r.comparison.pplRelativeDifference },
            { name: 'greedy_identical', value: r.comparison.greedyIdentical ? 1 : 0 },
          ]
        : []),
      ...(r.verdict ? [{ name: 'verdict_pass', value: r.verdict.pass ? 1 : 0 }] : []),
    ],
  }),
});
