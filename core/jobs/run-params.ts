// A run's settings are its job's validated params plus a few keys the app adds beside them (which job, the
// model folder it read, what it resumed or is the baseline of). Taking the params back out — to resume a
// run — removes exactly those, so every param the job had (a uniform rotation, a VRAM budget) comes back whole.

/** Keys a run's settings carry besides its job's params: store-recorder.ts (job, modelPath), the service (resumeOf), run-links (baselineOf). */
export const SETTINGS_BESIDE_PARAMS = ['job', 'modelPath', 'resumeOf', 'baselineOf'] as const;

/** The params a run was started with, as stored (the job's validator checks them again before they are used). */
export function storedParams(settings: Record<string, unknown>): Record<string, unknown> {
  const beside: readonly string[] = SETTINGS_BESIDE_PARAMS;
  return Object.fromEntries(Object.entries(settings).filter(([k, v]) => !beside.includes(k) && v !== undefined));
}
