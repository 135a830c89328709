// The activation budgets a slice uses when none is given (the planner, the preflight and the engines read them
// here; budget.ts re-exports them beside the refusal).
import { GiB } from './hardware';

/**
 * Bytes of calibration activations kept on the GPU when no budget is given: the device engine's default,
 * and the slice job's (`defaultDeviceBudget`) when no GPU is known.
 */
export const DEFAULT_DEVICE_BUDGET_BYTES = 4 * GiB;

/** Bytes of calibration activations kept in RAM before the rest spills to disk when no budget is given (the spill threshold; --ram-gb does not move it). */
export const DEFAULT_RAM_BUDGET_BYTES = 4 * GiB;
