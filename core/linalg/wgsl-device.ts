// The process's WebGPU device now lives on the hardware floor (core/hardware/webgpu-device.ts), shared with the
// WGSL decoder (runtime/wgsl-decode); the eigensolver's files import it through this name.
export * from '../hardware/webgpu-device';
