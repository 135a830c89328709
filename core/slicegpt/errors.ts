// User-facing failures of a slicing job: one line each, never a stack trace for bad input.
import { UserError } from '../base/user-error';

export class SliceError extends UserError {}

/** Bad options (ratio out of range, unknown sampling, …). */
export class SliceOptionsError extends SliceError {}

/** A checkpoint exists but belongs to another model, data set or settings. */
export class CheckpointMismatchError extends SliceError {}

/** A folder that should hold a sliced model does not (missing slicing_config.json, wrong shapes…). */
export class SlicedModelError extends SliceError {}
