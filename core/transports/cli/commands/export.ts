import { join, resolve } from 'node:path';
import { dataDir } from '../../../base/paths';
import type { GgufExportResult } from '../../../export/gguf/index';
import { UsageError } from '../args';
import type { Command } from '../command';
import { jobCommand } from './shared/job-command';
import { cliCommand } from '../invocation';
import { checkOllamaName, type HandoffResult } from '../../../export/handoff/index';
import { protocolLabel } from '../../../runtime/ppl-protocol';

/** What was handed over, and the exact command for each runtime that was not. */
function handoffLines(h: HandoffResult): string[] {
  const o = h.ollama;
  const l = h.lmstudio;
  return [
    o.status === 'created' ? `Ollama: created ${o.name} (ollama run ${o.name})` : o.status === 'failed' ? `Ollama: failed; to retry: ${o.command}` : `Ollama${o.status === 'not-on-path' ? ' (not on PATH)' : ''}: ${o.command}`,
    l.status === 'copied' ? `LM Studio: copied to ${l.path}` : `LM Studio${l.status === 'no-folder' ? ' (no models folder)' : ''}: ${l.command}`,
  ];
}

import { DTYPES, exportName, FORMATS } from '../../../export/formats';

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** For a GGUF: its bits per weight, tensors per type, and which fell back to another type (and why). */
function ggufTypeLines(details: unknown): string[] {
  const d = details as Partial<GgufExportResult> | null;
  if (!d || typeof d.bitsPerWeight !== 'number' || !d.tensorTypes) return [];
  const types = Object.entries(d.tensorTypes)
    .map(([t, n]) => `${t}×${n}`)
    .join(', ');
  const lines = [`${d.bitsPerWeight.toFixed(2)} bits per weight (all tensors); tensor types: ${types}`];
  const groups = new Map<string, number>();
  for (const f of d.fallbacks ?? []) groups.set(`${f.wanted}→${f.type} (rows of ${f.rowLength})`, (groups.get(`${f.wanted}→${f.type} (rows of ${f.rowLength})`) ?? 0) + 1);
  if (groups.size) lines.push(`fell back (rows not a multiple of the block, as llama.cpp's quantizer does): ${[...groups].map(([k, n]) => `${n} × ${k}`).join('; ')}`);
  return lines;
}

export const exportCommand: Command = jobCommand('export', {
  summary: 'Export a dense or sliced model for local runtimes (ONNX with KV cache, GGUF, documented safetensors); GGUF: its llama.cpp perplexity, hand-off to Ollama / LM Studio',
  params(p) {
    const format = p.format as (typeof FORMATS)[number];
    const dtype = p.dtype as (typeof DTYPES)[number] | undefined;
    // Without --out, into the data folder (as a slice without --out goes to <data folder>/slices).
    const out = (p.out as string | undefined) ?? resolve(join(dataDir(), 'exports', exportName(p.model as string, format, dtype)));
    const ggufOnly = [p.ppl && 'ppl', p.ollama !== undefined && 'ollama', p.lmstudio && 'lmstudio'].filter(Boolean);
    if (format !== 'gguf' && ggufOnly.length) throw new UsageError(`--${ggufOnly[0]} is for --format gguf`);
    if (p.ollama !== undefined) checkOllamaName(p.ollama as string);
    return { ...p, out };
  },
  report: (r) =>
    [
      `${r.format} (${r.dtype}) written to ${r.path}: ${mib(r.bytes)} in ${r.seconds.toFixed(1)} s`,
      ...r.files.map((f) => `  ${f.name.padEnd(28)} ${mib(f.bytes).padStart(11)}`),
      ...ggufTypeLines(r.details),
      `sha256 ${r.sha256}`,
      `loads in: ${r.runtime}`,
      ...(r.llamaCpp ? [`llama.cpp perplexity ${r.llamaCpp.ppl.toFixed(3)} on ${protocolLabel(r.llamaCpp.protocol)} (${r.llamaCpp.seconds.toFixed(1)} s)`] : []),
      ...(r.handoff ? handoffLines(r.handoff) : []),
      // A Hugging Face folder is a dense model to this app: its check is the perplexity, as for any model.
      r.format === 'hf' ? `check it: ${cliCommand()} ppl ${r.path}` : `check it: ${cliCommand()} verify-export ${r.path}`,
    ].join('\n'),
  exitCode(f, ctx) {
    const failed = f.result?.handoff?.ollama;
    // ollama's own failure, in one line; the export itself is written and recorded.
    if (failed?.status === 'failed') ctx.err(failed.message);
    return failed?.status === 'failed' ? 1 : f.code;
  },
});
