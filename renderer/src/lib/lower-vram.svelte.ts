// The --vram-gb a Resume continues with, for slices that ran out of GPU memory (core/api/resumability.ts gives
// them `lowerVram`): one value per run, prefilled once with the suggested budget (a value typed after stays), and
// the overrides resumeJob takes. Shared by the Runs room and the wizard's Slice step (with ResumeVramField).
import type { ResumeOverrides, Resumability } from '../../../core/api/contract';

export class LowerVram {
  /** Run id → GiB typed or suggested (null or empty: the run's stored budget). */
  values: Record<number, number | null> = $state({});

  /** Prefills each run that asks for a lower budget with what its error line suggests (only the first time it is seen). */
  offer(can: Iterable<[number, Resumability]>): void {
    for (const [id, c] of can) if (c.lowerVram && !(id in this.values)) this.values[id] = c.lowerVram.suggested;
  }

  /** What resumeJob gets for this run: `{ vramGb }` when it ran out of GPU memory and a number is in its field, else nothing (the stored budget). */
  overrides(runId: number, can: Resumability | null | undefined): ResumeOverrides | undefined {
    const vramGb = can?.lowerVram ? this.values[runId] : null;
    return typeof vramGb === 'number' ? { vramGb } : undefined;
  }
}
