// What every end-to-end test starts from: `serve` on a fresh data directory, Debian's Chromium with one
// page that records every console error and page exception, the API with the serve token, and teardown.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_HINT, findChromium } from '../../scripts/chromium.mjs';
import { startServe, type ServeProcess } from './serve-process';

export interface E2eSession {
  data: string;
  dbFile: string;
  server: ServeProcess;
  browser: Browser;
  page: Page;
  /** Console errors and page exceptions so far (a test asserts on them at its end). */
  problems: string[];
  /** Calls an API method over HTTP with the serve token; throws the API's error. */
  api<T>(method: string, args?: unknown[]): Promise<T>;
  close(): Promise<void>;
}

export async function openE2e(o: { prefix: string; shots: string; cleanShots?: boolean; acceptDownloads?: boolean }): Promise<E2eSession> {
  // Checked before anything starts, so a missing browser fails in one line and leaves no server running.
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`no Chromium found; ${CHROMIUM_HINT}`);
  if (o.cleanShots) rmSync(o.shots, { recursive: true, force: true });
  mkdirSync(o.shots, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), o.prefix));
  const server = await startServe(data);
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  } catch (e) {
    // A serve child left running would keep the test process alive (the run would hang instead of failing).
    await server.stop();
    rmSync(data, { recursive: true, force: true });
    throw e;
  }
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, ...(o.acceptDownloads ? { acceptDownloads: true } : {}) });
  const problems: string[] = [];
  // Any console error (a CSP violation, a failed request, an exception) is recorded for the test to judge.
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  return {
    data,
    dbFile: join(data, 'slice-studio.db'),
    server,
    browser,
    page,
    problems,
    async api<T>(method: string, args: unknown[] = []): Promise<T> {
      const res = await fetch(new URL(`/api/${method}`, server.url), {
        method: 'POST',
        headers: { 'x-slice-studio-token': server.token },
        body: JSON.stringify(args),
      });
      const body = (await res.json()) as { ok: boolean; result: T; error?: string };
      if (!body.ok) throw new Error(`${method}: ${body.error}`);
      return body.result;
    },
    async close() {
      await browser.close();
      await server.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}
