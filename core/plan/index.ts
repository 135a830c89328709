// The VRAM planner: parameter counts, memory model, ratio search, explanation. See planner.ts.
export { plan, smallestFittingRatio, DEFAULT_RATIOS, type PlanResult, type Suggestion, type SuggestionKind } from './planner';
export { estimate, breakEvenRatio, resolveOptions, QUALITY_CLIFF } from './estimate';
export type { Estimate, PlanOptions, ResolvedOptions } from './estimate-types';
export { formatPlan } from './report';
export { readPlanConfig } from './source';
export { parseGpuList, formatBytes, GiB, MiB, type PlanHardware, type PlanGpu } from './hardware';
export { parseFormat, FORMATS, DTYPE_LAYOUT, bitsPerWeight, tensorBytes, FormatError, type FormatId, type WeightFormat, type Dtype } from './formats';
export { slicedDim, denseShapes, slicedShapes, countParams, denseParams, slicedParams, PlanInputError, DEFAULT_ROUND, type ModelShapes, type TensorShape, type ParamCount, type Rotation } from './params';
export { weightBytes, kvBytesPerLayer, workingSet, splitAcrossDevices, slicingJobRam, GPU_RUNTIME_BYTES, CPU_RUNTIME_BYTES, PROMPT_CHUNK, SLICING_RUNTIME_BYTES, type DeviceUsage, type UsageBreakdown, type SlicingRam, type KvDtype } from './memory';
export { predictSlice, chooseProfile, type SlicePrediction, type PredictInput, type PhaseSeconds } from './predict';
export { PROFILES, type HardwareProfile, type MeasuredPoint } from './measured';
