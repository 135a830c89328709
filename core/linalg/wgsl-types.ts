// The WebGPU API slice now lives on the hardware floor (core/hardware/webgpu-types.ts), shared with the WGSL
// decoder (runtime/wgsl-decode); the eigensolver's files import it through this name.
export * from '../hardware/webgpu-types';
