// A node:test reporter that times each test FILE (the spec reporter times tests only, so a file's startup and
// its before() fixtures are invisible there): wall seconds from the runner starting the file to the file's
// process ending. At the end it prints the slowest files on its destination (the runner sends it to stderr,
// so the spec summary CI reads stays the last thing on stdout), and with SLICE_STUDIO_TEST_TIMES=file.json
// writes every file's time there. Under --test-concurrency > 1 files overlap, so the times add up to more
// than the run.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const SHOWN = 15;

export default async function* fileTimes(source) {
  const root = process.cwd();
  const started = new Map();
  const seconds = {};
  const t0 = Date.now();
  for await (const e of source) {
    const d = e.data;
    // The file-level test is the one named by its own path (nesting 0).
    if (!d?.file || d.nesting !== 0 || d.name !== d.file) continue;
    if (e.type === 'test:dequeue') started.set(d.file, Date.now());
    else if (e.type === 'test:complete' && started.has(d.file)) seconds[relative(root, d.file)] = (Date.now() - started.get(d.file)) / 1000;
  }
  const rows = Object.entries(seconds).sort((a, b) => b[1] - a[1]);
  if (process.env.SLICE_STUDIO_TEST_TIMES) writeFileSync(process.env.SLICE_STUDIO_TEST_TIMES, JSON.stringify({ wallSeconds: (Date.now() - t0) / 1000, files: Object.fromEntries(rows) }, null, 2) + '\n');
  if (rows.length < 2) return;
  yield `slowest test files (wall seconds, startup and fixtures included):\n`;
  for (const [f, s] of rows.slice(0, SHOWN)) yield `${s.toFixed(1).padStart(8)}  ${f}\n`;
}
