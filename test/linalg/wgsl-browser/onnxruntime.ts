// onnxruntime-node in the page: imported by modules the test never calls into ORT from.
export const Tensor = class {};
export const InferenceSession = {};
export const env = {};
export default { Tensor, InferenceSession, env };
