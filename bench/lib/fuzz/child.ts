// The fuzz worker process: makes input i of one target (deterministically from the seed), runs the parser,
// and reports. It says "start" before each run so that the parent, which watches the CPU time this process
// spends, can kill it when an input hangs (a hang cannot report itself).
import { join } from 'node:path';
import { mulberry32 } from '../../../core/data/prng';
import { isUserError } from '../../../core/base/user-error';
import { TARGETS, SECRET, clearWork } from './targets';

export interface Job {
  target: string;
  seed: number;
  from: number;
  to: number;
  work: string;
}

export type ChildMessage = { type: 'ready' } | { type: 'start'; i: number; what: string[]; bytes: number } | { type: 'done'; i: number; outcome: Outcome; name?: string; message?: string; ms: number; extraRss: number } | { type: 'finished' };

/** ok, a user error (one of the project's own error types), or a finding. */
export type Outcome = 'ok' | 'user-error' | 'crash' | 'multiline' | 'leak' | 'escape' | 'kept-bad-cache';

/** The first 8 bytes of /etc/passwd as the number a safetensors reader would print for them. */
const PASSWD_LENGTH = String(Buffer.from('root:x:0').readBigUInt64LE(0));

/** One seed and index name one input, whichever process makes it. */
export function inputRng(seed: number, target: string, i: number): () => number {
  let h = seed >>> 0;
  for (const c of `${target}:${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
  return mulberry32(h);
}

function classify(e: unknown): { outcome: Outcome; name: string; message: string } {
  const name = e instanceof Error ? e.name : typeof e;
  const message = e instanceof Error ? e.message : String(e);
  if (!isUserError(e)) return { outcome: 'crash', name, message };
  if (message.includes(SECRET) || message.includes(PASSWD_LENGTH) || message.includes('root:x:')) return { outcome: 'leak', name, message };
  if (message.includes('\n')) return { outcome: 'multiline', name, message };
  return { outcome: 'user-error', name, message };
}

let current = -1;
const send = (m: ChildMessage) => process.send!(m);

// Library code may throw from a callback or leave a rejected promise: that is a crash of the current input.
process.on('uncaughtException', (e) => {
  send({ type: 'done', i: current, outcome: 'crash', name: `uncaught ${e?.name}`, message: String(e?.message), ms: 0, extraRss: 0 });
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  send({ type: 'done', i: current, outcome: 'crash', name: `unhandled rejection ${(e as Error)?.name}`, message: String((e as Error)?.message ?? e), ms: 0, extraRss: 0 });
  process.exit(1);
});

process.on('message', async (job: Job) => {
  const target = TARGETS[job.target];
  for (let i = job.from; i < job.to; i++) {
    current = i;
    const dir = join(job.work, 'in');
    clearWork(dir);
    let made;
    try {
      made = target.make(dir, inputRng(job.seed, job.target, i));
    } catch (e) {
      // The mutator's own failure (e.g. a value too deep to serialize) is no input: say so, and go on.
      made = { what: [`(no input: the mutator failed with ${(e as Error).name})`], bytes: 0 };
      clearWork(dir);
    }
    send({ type: 'start', i, what: made.what, bytes: made.bytes });
    const rssBefore = process.memoryUsage.rss();
    const maxBefore = process.resourceUsage().maxRSS * 1024;
    const t0 = performance.now();
    let result: { outcome: Outcome; name?: string; message?: string };
    try {
      const finding = await target.run(dir);
      result = finding ? { outcome: finding.split(':')[0] as Outcome, message: finding } : { outcome: 'ok' };
    } catch (e) {
      result = classify(e);
    }
    const ms = performance.now() - t0;
    const maxAfter = process.resourceUsage().maxRSS * 1024;
    // The lifetime peak only moves when this input set a new one; then it is this input's peak.
    const extraRss = maxAfter > maxBefore ? maxAfter - rssBefore : 0;
    send({ type: 'done', i, ...result, message: result.message?.slice(0, 300), ms, extraRss });
  }
  clearWork(join(job.work, 'in'));
  send({ type: 'finished' });
});

send({ type: 'ready' });
