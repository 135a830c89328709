// Runs fuzz targets in child processes with a per-input limit: an input hangs when the child spends more
// than `hangCpuMs` of CPU time on it (read from /proc, so a machine busy with other work does not turn slow
// inputs into "hangs") or more than `stallMs` of wall time (an await that never returns, e.g. a FIFO
// opened for reading). A hung child is killed and a fresh one continues after the input.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildMessage, Job, Outcome } from './child';

export interface FuzzOptions {
  targets: string[];
  n: number;
  seed: number;
  hangCpuMs?: number;
  stallMs?: number;
  /** Extra RSS an input may cause beyond `rssPerInputByte` × its size. */
  memoryLimitBytes?: number;
  rssPerInputByte?: number;
  /** Fresh child every this many inputs (bounds what one input's leftovers can do to the next). */
  recycleEvery?: number;
  onProgress?: (target: string, done: number, n: number) => void;
}

export interface Example {
  i: number;
  what: string[];
  name?: string;
  message?: string;
  ms?: number;
  extraRssMB?: number;
}

export interface TargetReport {
  inputs: number;
  ok: number;
  userErrors: number;
  crashes: number;
  hangs: number;
  memory: number;
  leaks: number;
  escapes: number;
  multiline: number;
  keptBadCache: number;
  maxExtraRssMB: number;
  maxMs: number;
  meanMs: number;
  wallS: number;
  userErrorNames: Record<string, number>;
  examples: Partial<Record<'crash' | 'hang' | 'memory' | 'leak' | 'escape' | 'multiline' | 'kept-bad-cache' | 'slowest' | 'user-error', Example[]>>;
}

const CHILD = join(import.meta.dirname, 'child.ts');
const TICKS_PER_S = 100; // Linux USER_HZ

/** utime + stime of a process in ms, or null where /proc is not available. */
function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return null;
  }
}

function emptyReport(): TargetReport {
  return {
    inputs: 0,
    ok: 0,
    userErrors: 0,
    crashes: 0,
    hangs: 0,
    memory: 0,
    leaks: 0,
    escapes: 0,
    multiline: 0,
    keptBadCache: 0,
    maxExtraRssMB: 0,
    maxMs: 0,
    meanMs: 0,
    wallS: 0,
    userErrorNames: {},
    examples: {},
  };
}

function keep(r: TargetReport, kind: keyof TargetReport['examples'], ex: Example, max = 5): void {
  const list = (r.examples[kind] ??= []);
  if (list.length < max) list.push(ex);
}

export async function fuzzTarget(target: string, o: FuzzOptions): Promise<TargetReport> {
  const hangCpuMs = o.hangCpuMs ?? 2000;
  const stallMs = o.stallMs ?? 10_000;
  const memoryLimit = o.memoryLimitBytes ?? 200 * 1024 * 1024;
  const perByte = o.rssPerInputByte ?? 16;
  const recycle = o.recycleEvery ?? 2000;
  const work = mkdtempSync(join(tmpdir(), `ss-fuzz-${target}-`));
  const r = emptyReport();
  const t0 = performance.now();
  let totalMs = 0;
  let next = 0;
  try {
    while (next < o.n) {
      const to = Math.min(o.n, next + recycle);
      next = await runChild({ target, seed: o.seed, from: next, to, work }, r, { hangCpuMs, stallMs, memoryLimit, perByte }, (ms) => {
        totalMs += ms;
        o.onProgress?.(target, r.inputs, o.n);
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  r.wallS = +((performance.now() - t0) / 1000).toFixed(1);
  r.meanMs = r.inputs ? +(totalMs / r.inputs).toFixed(2) : 0;
  r.maxMs = +r.maxMs.toFixed(1);
  r.maxExtraRssMB = +r.maxExtraRssMB.toFixed(1);
  return r;
}

interface Limits {
  hangCpuMs: number;
  stallMs: number;
  memoryLimit: number;
  perByte: number;
}

/** Runs inputs [job.from, job.to) in one child; returns the next index to run (after a hang: the one after). */
function runChild(job: Job, r: TargetReport, l: Limits, onDone: (ms: number) => void): Promise<number> {
  return new Promise((resolveNext, reject) => {
    const child: ChildProcess = fork(CHILD, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    let current: { i: number; what: string[]; bytes: number; cpu0: number | null; wall0: number } | null = null;
    let next = job.from;
    let settled = false;
    const finish = (n: number) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      child.kill('SIGKILL');
      resolveNext(n);
    };
    const watch = setInterval(() => {
      if (!current || child.pid === undefined) return;
      const cpu = cpuMs(child.pid);
      const cpuSpent = cpu !== null && current.cpu0 !== null ? cpu - current.cpu0 : null;
      const wall = performance.now() - current.wall0;
      if ((cpuSpent ?? wall) > l.hangCpuMs || wall > l.stallMs) {
        r.inputs++;
        r.hangs++;
        keep(r, 'hang', { i: current.i, what: current.what, ms: Math.round(wall), message: `killed after ${Math.round(cpuSpent ?? wall)} ms CPU, ${Math.round(wall)} ms wall` });
        onDone(wall);
        finish(current.i + 1);
      }
    }, 50);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') child.send({ ...job, from: next });
      else if (m.type === 'start') current = { i: m.i, what: m.what, bytes: m.bytes, cpu0: child.pid ? cpuMs(child.pid) : null, wall0: performance.now() };
      else if (m.type === 'done') {
        const what = current?.i === m.i ? current.what : [];
        const bytes = current?.i === m.i ? current.bytes : 0;
        current = null;
        record(r, m, what, bytes, l);
        onDone(m.ms);
        next = m.i + 1;
      } else if (m.type === 'finished') finish(job.to);
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      // Died on its own (out of memory, a native abort): a crash of the input it was running.
      if (current) {
        r.inputs++;
        r.crashes++;
        keep(r, 'crash', { i: current.i, what: current.what, name: `exit ${code ?? signal}`, message: stderr.split('\n').filter(Boolean).slice(-3).join(' | ') });
        onDone(performance.now() - current.wall0);
        finish(current.i + 1);
      } else if (next === job.from) {
        settled = true;
        clearInterval(watch);
        reject(new Error(`the fuzz worker for ${job.target} exited (${code ?? signal}) before its first input: ${stderr.slice(-500)}`));
      } else finish(next);
    });
  });
}

function record(r: TargetReport, m: Extract<ChildMessage, { type: 'done' }>, what: string[], bytes: number, l: Limits): void {
  r.inputs++;
  r.maxMs = Math.max(r.maxMs, m.ms);
  const extraMB = m.extraRss / 2 ** 20;
  r.maxExtraRssMB = Math.max(r.maxExtraRssMB, extraMB);
  const ex: Example = { i: m.i, what, name: m.name, message: m.message, ms: Math.round(m.ms), extraRssMB: +extraMB.toFixed(1) };
  if ((r.examples.slowest?.[0]?.ms ?? -1) < m.ms) r.examples.slowest = [ex];
  const counters: Record<Outcome, keyof TargetReport> = {
    ok: 'ok',
    'user-error': 'userErrors',
    crash: 'crashes',
    multiline: 'multiline',
    leak: 'leaks',
    escape: 'escapes',
    'kept-bad-cache': 'keptBadCache',
  };
  (r[counters[m.outcome]] as number)++;
  if (m.outcome === 'user-error') {
    r.userErrorNames[m.name ?? '?'] = (r.userErrorNames[m.name ?? '?'] ?? 0) + 1;
    keep(r, 'user-error', ex, 8);
  } else if (m.outcome !== 'ok') keep(r, m.outcome, ex);
  if (m.extraRss > l.memoryLimit + l.perByte * bytes) {
    r.memory++;
    keep(r, 'memory', ex);
  }
}

export function failures(r: TargetReport): number {
  return r.crashes + r.hangs + r.memory + r.leaks + r.escapes + r.multiline + r.keptBadCache;
}
