// One display name per zero-shot task, for every screen (wizard, Runs, Compare, charts). Ids stay the
// engine's (lm-eval's) names in files and CSV columns; people read these.
export const TASKS = [
  { id: 'piqa', label: 'PIQA' },
  { id: 'winogrande', label: 'WinoGrande' },
  { id: 'hellaswag', label: 'HellaSwag' },
  { id: 'arc_easy', label: 'ARC-e' },
  { id: 'arc_challenge', label: 'ARC-c' },
] as const;

/** "arc_easy" → "ARC-e"; an unknown task keeps its id. */
export function taskName(id: string): string {
  return TASKS.find((t) => t.id === id)?.label ?? id;
}
