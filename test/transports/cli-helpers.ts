// Spawning the real CLI (a fresh process per command) against a temporary data folder, and reading back what
// it recorded in that folder's SQLite store. The CLI is dist/cli.mjs — what `slice-studio` runs — when that
// bundle is at least as new as every source (scripts/test.mjs builds it before the suite), else the
// TypeScript through tsx: the same code, and a bundle starts in about a third of tsx's time.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../core/store/store';
import type { RunDetail } from '../../core/store/types';
import { SHARED_MODELS } from '../shared';
import { CLI_BUNDLE, cliBundleFresh } from '../../scripts/newest.mjs';

export const root = join(import.meta.dirname, '../..');
export const models = SHARED_MODELS;

/** node's arguments that start the CLI (before the command's own); SLICE_STUDIO_TEST_CLI=tsx forces the sources. */
export const CLI_ENTRY: readonly string[] = process.env.SLICE_STUDIO_TEST_CLI !== 'tsx' && cliBundleFresh(root) ? [join(root, CLI_BUNDLE)] : ['--import', 'tsx', 'core/transports/cli/main.ts'];

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function cli(data: string, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [...CLI_ENTRY, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SLICE_STUDIO_DATA: data },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs a command with --json and parses its one JSON document; fails the test with stderr otherwise. */
export function cliJson<T = Record<string, unknown>>(data: string, ...args: string[]): T {
  const r = cli(data, ...args, '--json');
  if (r.code !== 0) throw new Error(`slice-studio ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as T;
}

/** The CLI as a child the test can interrupt; resolves when it exits. */
export function cliChild(data: string, args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_ENTRY, ...args], {
      cwd: root,
      env: { ...process.env, SLICE_STUDIO_DATA: data },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      onStderr?.(String(d), child);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

export function storedRun(data: string, id: number): RunDetail {
  const store = Store.open(join(data, 'slice-studio.db'));
  try {
    const run = store.getRun(id);
    if (!run) throw new Error(`run ${id} is not in the store`);
    return run;
  } finally {
    store.close();
  }
}

export const metric = (run: RunDetail, name: string, task: string | null = null) => run.metrics.find((m) => m.name === name && m.task === task)?.value;

/**
 * Runs a CLI slice writing to `out` and sends it Ctrl+C once its first checkpoint exists. The file is polled on a
 * timer, not on progress lines: on an idle machine the whole slice takes ~2 s and may print no progress line
 * between checkpoint and end. `sent` says whether the interrupt went out.
 */
export async function sliceInterruptedAfterFirstCheckpoint(data: string, args: string[], out: string): Promise<CliResult & { sent: boolean }> {
  let sent = false;
  let poll: NodeJS.Timeout | undefined;
  const r = await cliChild(data, args, (_text, child) => {
    poll ??= setInterval(() => {
      if (!sent && existsSync(join(out, '.checkpoint', 'state.json'))) {
        sent = true;
        child.kill('SIGINT');
      }
    }, 2);
  });
  clearInterval(poll);
  return { ...r, sent };
}
