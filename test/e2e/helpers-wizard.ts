// Helpers for the wizard's end-to-end test: reading the store the way the app wrote it (better-sqlite3,
// read-only), checking that chart canvases drew data, and the number formats the UI promises.
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';

export interface DbMetric {
  name: string;
  value: number;
  task: string | null;
  stderr: number | null;
}

export interface DbRun {
  id: number;
  kind: string;
  status: string;
  name: string;
  parentRunId: number | null;
  settings: Record<string, unknown>;
  result: Record<string, unknown> | null;
  metrics: DbMetric[];
  artifacts: { path: string; kind: string; sha256: string | null }[];
  peakRss: number | null;
}

/** One run exactly as SQLite holds it (a fresh read-only connection each time: the server keeps writing). */
export function readRun(file: string, id: number): DbRun {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) throw new Error(`run ${id} is not in ${file}`);
    return {
      id,
      kind: String(r.kind),
      status: String(r.status),
      name: String(r.name),
      parentRunId: (r.parent_run_id as number | null) ?? null,
      settings: JSON.parse(String(r.settings_json)) as Record<string, unknown>,
      result: r.result_json ? (JSON.parse(String(r.result_json)) as Record<string, unknown>) : null,
      metrics: db.prepare('SELECT name, value, task, stderr FROM metrics WHERE run_id = ? ORDER BY id').all(id) as DbMetric[],
      artifacts: db.prepare('SELECT path, kind, sha256 FROM artifacts WHERE run_id = ? ORDER BY id').all(id) as DbRun['artifacts'],
      peakRss: (r.peak_rss as number | null) ?? null,
    };
  } finally {
    db.close();
  }
}

export function metric(run: DbRun, name: string, task: string | null = null): number {
  const m = run.metrics.find((x) => x.name === name && x.task === task);
  if (!m) throw new Error(`run ${run.id} has no metric ${name}${task ? ` for ${task}` : ''}: ${JSON.stringify(run.metrics)}`);
  return m.value;
}

/** The primary metric per task (the paper's), as the UI shows it. */
export const PRIMARY: Record<string, string> = { piqa: 'acc_norm', arc_easy: 'acc_norm', winogrande: 'acc', hellaswag: 'acc_norm', arc_challenge: 'acc_norm' };

/** The UI's number formats (renderer/src/lib/run-facts.ts `fmt`). */
export const show = {
  ratio: (v: number) => `${+(v * 100).toFixed(1)} %`,
  ppl: (v: number) => v.toFixed(2),
  /** A perplexity with its standard error, "208.35 ± 15.10" (fmt.pplErr). */
  pplErr: (run: DbRun) => {
    const m = run.metrics.find((x) => x.name === 'ppl' && x.task === null)!;
    return m.stderr === null ? m.value.toFixed(2) : `${m.value.toFixed(2)} ± ${m.stderr.toFixed(2)}`;
  },
  acc: (v: number) => `${(v * 100).toFixed(1)} %`,
};

/**
 * For every canvas under `scope`: how many pixels are coloured (not white, grey or black, i.e. not the
 * background, axes or text). A chart that drew its data has many.
 */
export async function colouredPixels(page: Page, scope: string): Promise<{ label: string; coloured: number }[]> {
  return page.evaluate((sel) => {
    return Array.from(document.querySelectorAll<HTMLCanvasElement>(`${sel} canvas`)).map((c) => {
      const ctx = c.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
      }
      const label = c.closest('figure')?.querySelector('.chart-title')?.textContent ?? '?';
      return { label, coloured };
    });
  }, scope);
}

/** Evaluate step: perplexity on 4 windows and the checked tasks on 20 items; waits for the recorded numbers, returns the run id. */
export async function evaluateInWizard(page: Page): Promise<number> {
  await page.locator('#eval-windows').fill('4');
  await page.locator('#eval-limit').fill('20');
  await page.getByRole('button', { name: /^(Start evaluation|Evaluate again)$/ }).click();
  // The slice, then its dense model the same way (once per protocol): two evaluations on a shared 2-core machine.
  await page.locator('[data-testid="eval-status"][data-status="done"]').waitFor({ timeout: 240_000 });
  // The recorded metrics replace the live ones.
  await page.locator('[data-testid="eval-results"] td', { hasText: 'recorded' }).first().waitFor({ timeout: 10_000 });
  return Number(/#(\d+)/.exec((await page.locator('#step-evaluate-title + .muted').first().textContent()) ?? '')![1]);
}
