// The pipeline bench's work folder over time: which phase reads which intermediate, so that each one is
// deleted as soon as no phase still to run needs it (a 7B run then fits a 64 GiB disk: the synth folder,
// the per-layer slice and its ONNX export are never all there with the uniform slice and its GGUF), and
// how much of the disk the folder held after each phase.
import { rmSync, statfsSync } from 'node:fs';
import { diskBytes } from './phase-meter';

export const PHASES = ['synth', 'inspect', 'plan', 'slice', 'ppl', 'onnx', 'uniform', 'gguf', 'verify'] as const;
export type Phase = (typeof PHASES)[number];
export type Artifact = 'model' | 'sliced' | 'onnx' | 'uniform' | 'gguf';

/** What each phase reads. */
const READS: Record<Phase, Artifact[]> = {
  synth: [],
  inspect: ['model'],
  plan: ['model'],
  slice: ['model'],
  ppl: ['sliced'],
  onnx: ['sliced'],
  uniform: ['model'],
  gguf: ['uniform'],
  verify: ['gguf', 'uniform'],
};

/** The artifacts no phase after `done` (among those that will run) reads. */
export function noLongerNeeded(done: Phase, willRun: (p: Phase) => boolean): Artifact[] {
  const later = PHASES.slice(PHASES.indexOf(done) + 1).filter(willRun);
  const needed = new Set(later.flatMap((p) => READS[p]));
  return (['model', 'sliced', 'onnx', 'uniform', 'gguf'] as const).filter((a) => !needed.has(a));
}

export interface DiskPoint {
  after: Phase;
  /** Bytes under the work folder once the phase ended, before anything was deleted. */
  workBytes: number;
  /** Free bytes on the work folder's file system at that moment. */
  freeBytes: number | null;
  deleted: Artifact[];
}

export function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/**
 * After `phase`: measure the work folder, then delete the intermediates no later phase reads. Only what the
 * bench made is deleted (`owned`): a `--model` folder the user gave is never touched.
 */
export function tidyAfter(phase: Phase, work: string, paths: Record<Artifact, string>, owned: Set<Artifact>, willRun: (p: Phase) => boolean): DiskPoint {
  const point: DiskPoint = { after: phase, workBytes: diskBytes(work), freeBytes: freeBytes(work), deleted: [] };
  for (const a of noLongerNeeded(phase, willRun)) {
    if (!owned.has(a) || diskBytes(paths[a]) === 0) continue;
    rmSync(paths[a], { recursive: true, force: true });
    point.deleted.push(a);
  }
  return point;
}
