// The dense baseline under a ppl/eval result on the command line: the dense model measured the same way
// (same perplexity protocol, same tasks and items) and the differences ± standard error.
import type { ComparedRun } from '../../../../api/contract';
import { difference, signed } from '../../../../runtime/ppl-protocol';

export function denseLines(run: ComparedRun): string[] {
  const b = run.baseline;
  if (!b) return [];
  const lines: string[] = [];
  const ppl = run.metrics.find((m) => m.name === 'ppl' && m.task === null);
  if (ppl && b.ppl) {
    const d = difference({ value: ppl.value, stderr: ppl.stderr }, { value: b.ppl.value, stderr: b.ppl.stderr });
    lines.push(`dense ${b.dense}: perplexity ${b.ppl.value.toFixed(2)} ± ${(b.ppl.stderr ?? NaN).toFixed(2)} (run ${b.ppl.runId}, same protocol); sliced − dense: ${signed(d, 2)}`);
  } else if (ppl) lines.push(`dense ${b.dense}: no perplexity under the same protocol in the store`);
  for (const [task, ms] of Object.entries(b.tasks)) {
    for (const name of ['acc', 'acc_norm']) {
      const mine = run.metrics.find((m) => m.task === task && m.name === name);
      const dense = ms.find((m) => m.name === name);
      if (!mine || !dense) continue;
      const d = difference({ value: mine.value, stderr: mine.stderr }, { value: dense.value, stderr: dense.stderr });
      lines.push(`dense ${task} ${name} ${(dense.value * 100).toFixed(1)} % (run ${dense.runId}); sliced − dense: ${signed(d, 1, 100)} pp`);
    }
  }
  return lines;
}
