// The slice's GPU-memory budget (--vram-gb: GiB of calibration activations kept on the GPU) in the lines that ask
// the user to lower it, and read back out of them: a run that failed for GPU memory stores one of these lines as
// its error, and the Runs room's Resume offers a lower --vram-gb prefilled with the value the line suggests.
// Lowering it is safe to resume with: the budget is not part of the checkpoint's key (slicegpt/slice-model.ts),
// --batch-size is (changing it starts over), so only --vram-gb is offered.

/** GiB, rounded down to a tenth (what the lines print and --vram-gb takes). */
export const gibFloor = (bytes: number): number => Math.floor((bytes / 2 ** 30) * 10) / 10;

/** A lower budget to try after running out of GPU memory with `budgetBytes` of activations kept: half of it. */
export const lowerVramGb = (budgetBytes: number): number => gibFloor(budgetBytes / 2);

/** The words of a GPU out-of-memory line that say what to lower: the budget in use and the value to try. */
export function lowerVramWords(budgetBytes: number): string {
  const now = gibFloor(budgetBytes);
  return now > 0 ? `lower --vram-gb (GiB of activations kept on the GPU, ${now} now; try --vram-gb ${lowerVramGb(budgetBytes)})` : 'lower --vram-gb (GiB of activations kept on the GPU, 0 now)';
}

/** Whether an error line asks for a lower --vram-gb. */
export const namesVramGb = (error: string | null): boolean => error !== null && /--vram-gb\b/.test(error);

/** The --vram-gb an error line suggests ("try --vram-gb 4" after an out-of-memory, "--vram-gb 12.5 fits" from the preflight), or null. */
export function suggestedVramGb(error: string | null): number | null {
  const m = error === null ? null : /try --vram-gb (\d+(?:\.\d+)?)|--vram-gb (\d+(?:\.\d+)?) fits/.exec(error);
  return m ? Number(m[1] ?? m[2]) : null;
}
