// Peak GPU memory while a phase runs: nvidia-smi sampled every `ms` (memory.used of the first GPU, MiB).
// ORT's WebGPU EP keeps its own buffer cache, so the process's view (RSS) says nothing about VRAM. mark() names
// the phase that later samples count toward (a peak per phase; a sample is up to `ms` late, so a phase's first
// sample may be its predecessor's memory).
import { spawn, type ChildProcess } from 'node:child_process';

export class VramSampler {
  #child: ChildProcess | null = null;
  #peakMiB = 0;
  #samples = 0;
  #phase = '';
  #phases: Record<string, number> = {};

  start(ms = 100): this {
    try {
      this.#child = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', `-lms`, String(ms)], { stdio: ['ignore', 'pipe', 'ignore'] });
      this.#child.on('error', () => (this.#child = null));
      this.#child.stdout?.on('data', (b: Buffer) => {
        for (const line of b.toString().split('\n')) {
          const v = Number(line.split(',')[0]);
          if (line.trim() && Number.isFinite(v)) {
            this.#peakMiB = Math.max(this.#peakMiB, v);
            if (this.#phase) this.#phases[this.#phase] = Math.max(this.#phases[this.#phase] ?? 0, v);
            this.#samples++;
          }
        }
      });
    } catch {
      this.#child = null;
    }
    return this;
  }

  /** Samples from now on count toward `phase`'s peak too. */
  mark(phase: string): void {
    this.#phase = phase;
  }

  /** Peak MiB seen, overall and per marked phase (null and none when nvidia-smi gave nothing: no NVIDIA GPU). */
  stop(): { peakMiB: number | null; samples: number; phases: Record<string, number> } {
    this.#child?.kill();
    this.#child = null;
    return { peakMiB: this.#samples ? this.#peakMiB : null, samples: this.#samples, phases: this.#phases };
  }
}
