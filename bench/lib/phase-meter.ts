// What one phase of a benchmark cost: wall seconds, the process's peak resident set during the phase, the
// GPU's peak memory in use (nvidia-smi sampled every 200 ms in a separate process, when there is one) and,
// per output, bytes on disk. Peak RSS is exact, not sampled: Linux's VmHWM is reset at the start of the
// phase (writing 5 to /proc/self/clear_refs) and read at its end, so a JS thread blocked in a long
// synchronous computation cannot hide a peak from a timer. Where that is not possible (not Linux), the
// process's lifetime maximum is reported and labelled as such.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PhaseRecord {
  phase: string;
  seconds: number;
  peakRssBytes: number;
  /** 'phase': VmHWM reset at the phase's start; 'process': the process's lifetime peak (no reset possible). */
  peakRssScope: 'phase' | 'process';
  /** GPU memory in use at its highest during the phase (whole device, all processes), and before it; null without nvidia-smi. */
  peakVramBytes: number | null;
  vramBeforeBytes: number | null;
  /** Bytes on disk of what the phase wrote. */
  outputs: Record<string, number>;
  /** Whatever the phase reports (d, ppl, tokens/s…). */
  result: Record<string, unknown>;
}

function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function vmHwm(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export const hasNvidiaSmi = (): boolean => spawnSync('nvidia-smi', ['-L'], { stdio: 'ignore' }).status === 0;

/** nvidia-smi writing memory.used (MiB) lines to a file until stopped; the file is read at the end. */
class VramSampler {
  readonly #file: string;
  readonly #proc: ChildProcess;
  readonly #fd: number;
  constructor(dir: string, name: string) {
    this.#file = join(dir, `.vram-${name}-${process.pid}.csv`);
    this.#fd = openSync(this.#file, 'w');
    this.#proc = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '200'], { stdio: ['ignore', this.#fd, 'ignore'] });
  }
  async stop(): Promise<number | null> {
    await new Promise((r) => setTimeout(r, 250)); // one more sample after the phase
    this.#proc.kill('SIGTERM');
    await new Promise((r) => (this.#proc.exitCode !== null ? r(null) : this.#proc.once('exit', r)));
    closeSync(this.#fd);
    const mib = readFileSync(this.#file, 'utf8')
      .split('\n')
      .map((l) => Number(l.split(',')[0]))
      .filter((n) => Number.isFinite(n) && n > 0);
    rmSync(this.#file, { force: true });
    return mib.length ? Math.max(...mib) * 2 ** 20 : null;
  }
}

function vramNow(): number | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
  const n = r.status === 0 ? Number(r.stdout.split('\n')[0]) : NaN;
  return Number.isFinite(n) ? n * 2 ** 20 : null;
}

/** Bytes of a file, or of every file under a folder. */
export function diskBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((a, n) => a + diskBytes(join(path, n)), 0);
}

export async function measurePhase(name: string, scratch: string, gpu: boolean, fn: () => Promise<{ outputs?: Record<string, string>; result?: Record<string, unknown> }>): Promise<PhaseRecord> {
  const scoped = resetPeakRss();
  const vramBeforeBytes = gpu ? vramNow() : null;
  const sampler = gpu ? new VramSampler(scratch, name) : null;
  const t0 = performance.now();
  let r: Awaited<ReturnType<typeof fn>>;
  let peakVramBytes: number | null = null;
  try {
    r = await fn();
  } finally {
    if (sampler) peakVramBytes = await sampler.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const hwm = vmHwm();
  const outputs = Object.fromEntries(Object.entries(r.outputs ?? {}).map(([k, p]) => [k, diskBytes(p)]));
  return {
    phase: name,
    seconds: +seconds.toFixed(3),
    peakRssBytes: hwm ?? process.resourceUsage().maxRSS * 1024,
    peakRssScope: scoped && hwm !== null ? 'phase' : 'process',
    peakVramBytes,
    vramBeforeBytes,
    outputs,
    result: r.result ?? {},
  };
}
