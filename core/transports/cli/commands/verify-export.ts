import type { VerifyResult } from '../../../export/verify-onnx';
import type { Command } from '../command';
import { jobCommand } from './shared/job-command';

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

export const verifyExportCommand: Command = jobCommand('verify-export', {
  summary: 'Load an export in its own runtime (onnxruntime, llama.cpp): WikiText-2 perplexity and greedy text next to the app, ' + 'and a PASS/FAIL verdict within the tolerance for its dtype (exit 1 on FAIL)',
  report,
  // The run is recorded either way; a FAIL verdict is the command's failure, for scripts and CI.
  exitCode: (f) => (f.code === 0 && f.result?.verdict && !f.result.verdict.pass ? 1 : f.code),
});
