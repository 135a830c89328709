// SliceGPT (Ashkboos et al., ICLR 2024) on the Slice Studio runtime. The job entry point is sliceModel;
// the steps are exported for tools and tests.
export { sliceModel } from './slice-model';
export type { SliceOptions, SliceResult } from './slice-options';
export { openAnyModel } from './open';
export { fuseEmbedding, fuseLayer, fuseHead, fusedSource } from './fuse';
export { rotateReader, rotateWriter, rotateEmbedding, rotateHead } from './rotate';
export { keepColumns, keepRows, sliceReader, sliceWriter } from './slice';
export { makeSchedule, slicedWidth, type SliceSchedule, type LayerDims } from './schedule';
export { SecondMoment, principalDirections, explainedVariance, type PcaResult } from './pca';
export { rotateAndSlice, type SignalStats, type LayerTiming, type Calibration, type RotationProvider } from './rotate-and-slice';
export { SliceError, SliceOptionsError, CheckpointMismatchError, SlicedModelError } from './errors';
