// User-facing failures of a slicing job: one line each, never a stack trace for bad input.

export class SliceError extends Error {
  override name = 'SliceError';
}

/** Bad options (ratio out of range, unknown sampling, …). */
export class SliceOptionsError extends SliceError {
  override name = 'SliceOptionsError';
}

/** A checkpoint exists but belongs to another model, data set or settings. */
export class CheckpointMismatchError extends SliceError {
  override name = 'CheckpointMismatchError';
}

/** A folder that should hold a sliced model does not (missing slicing_config.json, wrong shapes…). */
export class SlicedModelError extends SliceError {
  override name = 'SlicedModelError';
}
