// `npm run bench -- fuzz [--n 10000] [--seed S] [--parser name[,name…]] [--jobs J] [--out file]`: mutated inputs for every
// parser that reads what users (or downloads) hand us — sharded index, safetensors headers, sliced folders,
// config.json → inspect/plan, tokenizer.json, vocab.json + merges.txt, dataset files, the Hub cache — each
// run in a child process with a per-input limit (2 s of CPU time, 10 s of wall time). Counts per parser:
// crashes (an exception that is not one of the project's own user-error types), hangs, inputs whose extra
// RSS exceeded 200 MB + 16 × their size, leaks (bytes of a file outside the model folder in a message),
// escapes (a file outside the model folder read), multi-line messages, and a damaged Hub cache left in
// place. Writes bench/results/fuzz.json (or --out) and prints it.
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { flags } from './lib/flags';
import { fuzzTarget, failures, type TargetReport } from './lib/fuzz/harness';
import { TARGETS } from './lib/fuzz/targets';

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const n = Number(f.get('n') ?? 10_000);
  const seed = Number(f.get('seed') ?? 1);
  const chosen = (f.get('parser') ?? Object.keys(TARGETS).join(',')).split(',');
  for (const c of chosen) if (!TARGETS[c]) throw new Error(`unknown parser ${c}: choose from ${Object.keys(TARGETS).join(', ')}`);
  const out = f.get('out') ?? join(import.meta.dirname, 'results', 'fuzz.json');
  const jobs = Math.max(1, Number(f.get('jobs') ?? 1));
  const parsers: Record<string, TargetReport> = {};
  const t0 = performance.now();
  const queue = [...chosen];
  const one = async (name: string) => {
    let last = 0;
    parsers[name] = await fuzzTarget(name, {
      targets: [name],
      n,
      seed,
      onProgress: (t, done) => {
        if (done - last >= 500 || done === n) {
          last = done;
          process.stderr.write(`${t}: ${done}/${n} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
        }
      },
    });
    const r = parsers[name];
    process.stderr.write(`${name}: ${r.inputs} inputs, ${r.crashes} crashes, ${r.hangs} hangs, ${r.memory} over memory, max extra RSS ${r.maxExtraRssMB} MB, ${r.wallS} s\n`);
  };
  // Parsers in parallel (--jobs): hangs are judged by each child's own CPU time, so sharing cores is fair.
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) await one(name);
    }),
  );
  const ordered = Object.fromEntries(chosen.map((c) => [c, parsers[c]]));
  const report = {
    bench: 'fuzz',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, ramGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
    how:
      'each input: a seed file mutated 1–3 times (byte flips, truncation, hostile splices; JSON values swapped for wrong types, ' +
      'extremes, nulls, path traversal, huge strings, deep nesting; FIFOs, folders and device links in place of files); run in a ' +
      'child process; hang = over 2 s CPU or 10 s wall; crash = an error that is not a project user-error type; extra RSS = ' +
      'peak RSS during the input minus RSS before it, when the input set a new process peak',
    seed,
    inputsPerParser: n,
    parallelJobs: jobs,
    totals: {
      inputs: Object.values(parsers).reduce((a, r) => a + r.inputs, 0),
      userErrors: Object.values(parsers).reduce((a, r) => a + r.userErrors, 0),
      failures: Object.values(parsers).reduce((a, r) => a + failures(r), 0),
      crashes: Object.values(parsers).reduce((a, r) => a + r.crashes, 0),
      hangs: Object.values(parsers).reduce((a, r) => a + r.hangs, 0),
      wallS: +((performance.now() - t0) / 1000).toFixed(1),
    },
    parsers: ordered,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2));
}
