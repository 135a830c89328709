import { resolve } from 'node:path';
import type { VerifyResult } from '../../../export/verify-onnx';
import { intFlag, stringFlag, UsageError } from '../args';
import type { Command } from '../command';
import { runJobCommand } from './shared/follow-job';

const f3 = (x: number) => x.toFixed(3);

function report(r: VerifyResult): string {
  const e = r.export.perplexity;
  const lines = [
    `${r.format} export ${r.path} in ${r.runtime}`,
    `perplexity (WikiText-2 test, first ${e.windows} windows × ${e.seqLen} tokens):  export ${f3(e.ppl)}${r.inApp ? `   in-app ${f3(r.inApp.perplexity.ppl)}` : ''}` +
      (r.comparison ? `   (difference ${(r.comparison.pplRelativeDifference * 100).toFixed(4)} %)` : ''),
    `greedy, ${r.export.greedy.ids.length} tokens after "${r.prompt}":`,
    `  export: ${JSON.stringify(r.export.greedy.text)}`,
  ];
  if (r.inApp) lines.push(`  in-app: ${JSON.stringify(r.inApp.greedy.text)}`);
  lines.push(r.verdict ? r.verdict.line : "no verdict: the app's numbers were not computed (--export-only, or no source folder)");
  return lines.join('\n');
}

export const verifyExportCommand: Command = {
  name: 'verify-export',
  usage: 'verify-export <file-or-folder> [--source <folder>] [--max-windows N | --all-windows] [--prompt TEXT] [--max-new-tokens N] [--export-only] [--json]',
  summary: 'Load an export in its own runtime (onnxruntime, llama.cpp): WikiText-2 perplexity and greedy text next to the app, ' + 'and a PASS/FAIL verdict within the tolerance for its dtype (exit 1 on FAIL)',
  flags: { values: ['source', 'max-windows', 'prompt', 'max-new-tokens'], booleans: ['export-only', 'all-windows'] },
  async run(ctx) {
    const [path, extra] = ctx.args.positionals;
    if (!path) throw new UsageError('verify-export needs an exported folder (ONNX) or .gguf file');
    if (extra) throw new UsageError(`verify-export takes one path, got also "${extra}"`);
    const source = stringFlag(ctx.args, 'source');
    const params = {
      path: resolve(path),
      ...(source ? { source: resolve(source) } : {}),
      ...(ctx.args.flags.has('export-only') ? { skipInApp: true } : {}),
      maxWindows: intFlag(ctx.args, 'max-windows', 1, 1 << 30),
      ...(ctx.args.flags.has('all-windows') ? { allWindows: true } : {}),
      maxNewTokens: intFlag(ctx.args, 'max-new-tokens', 1, 4096),
      prompt: stringFlag(ctx.args, 'prompt'),
    };
    const f = await runJobCommand(ctx, 'verify-export', params, report);
    // The run is recorded either way; a FAIL verdict is the command's failure, for scripts and CI.
    return f.code === 0 && f.result?.verdict && !f.result.verdict.pass ? 1 : f.code;
  },
};
