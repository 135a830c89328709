// The WebGPU device for the WGSL eigensolver: Dawn for Node through the `webgpu` package, loaded at run
// time (it is optional — a machine without it, or without a usable adapter, keeps the float64 CPU solver).
// One device per process, with the adapter's largest buffer limits (an n = 8192 matrix is 256 MiB, over
// WebGPU's default 128 MiB binding limit).
import type { GpuAdapter, GpuDevice, GpuEntry } from './wgsl-types';

export type WgslDevice = { device: GpuDevice; adapter: string } | { unavailable: string };

let opened: Promise<WgslDevice> | undefined;

/** The process's WebGPU device, or why there is none (one line). */
export function wgslDevice(): Promise<WgslDevice> {
  opened ??= open();
  return opened;
}

async function open(): Promise<WgslDevice> {
  let entry: GpuEntry;
  try {
    // A computed specifier: bundlers leave it alone, and the package stays an optional run-time dependency.
    const name = 'webgpu';
    const mod: unknown = await import(name);
    const create = (mod as { create?: unknown }).create;
    if (typeof create !== 'function') return { unavailable: 'the webgpu package has no create()' };
    entry = create([]) as GpuEntry;
  } catch (e) {
    return { unavailable: `the webgpu package (Dawn for Node) could not be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  return deviceFrom(entry);
}

/** A device with the adapter's largest buffer limits from any WebGPU entry point (Dawn, navigator.gpu). */
export async function deviceFrom(entry: GpuEntry): Promise<WgslDevice> {
  let adapter: GpuAdapter | null;
  try {
    adapter = await entry.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { unavailable: `no WebGPU adapter: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  if (!adapter) return { unavailable: 'no WebGPU adapter on this machine' };
  const requiredLimits: Record<string, number> = {};
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize']) if (adapter.limits[k]) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredLimits, label: 'slice-studio eigh' });
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ') || 'WebGPU adapter';
  return { device, adapter: name };
}
