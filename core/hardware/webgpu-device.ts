// The process's WebGPU device, shared by the WGSL eigensolver and the WGSL decoder (runtime/wgsl-decode):
// Dawn for Node through the `webgpu` package, loaded at run time (it is optional — a machine without it, or
// without a usable adapter, keeps the float64 CPU solver and ORT's decoding). One device per process, with
// the adapter's largest buffer limits (an n = 8192 matrix is 256 MiB, over WebGPU's default 128 MiB binding
// limit).
import { vulkanLoaderFound } from './vulkan-loader';
import type { GpuAdapter, GpuDevice, GpuEntry } from './webgpu-types';

export type WgslDevice = { device: GpuDevice; adapter: string } | { unavailable: string };

let opened: Promise<WgslDevice> | undefined;
// Dawn for Node tears its instance down when the object create() returned is garbage-collected, and a device
// of that instance then segfaults on its next call (the first GPU try died so, with no output): the entry is
// held here for as long as the device may be used.
const alive = new Set<GpuEntry>();

/** The process's WebGPU device, or why there is none (one line). */
export function wgslDevice(): Promise<WgslDevice> {
  opened ??= open();
  return opened;
}

async function open(): Promise<WgslDevice> {
  if (!vulkanLoaderFound()) return { unavailable: 'no Vulkan loader (libvulkan.so.1) on this machine' };
  let entry: GpuEntry;
  try {
    // A computed specifier: bundlers leave it alone, and the package stays an optional run-time dependency.
    const name = 'webgpu';
    const mod: unknown = await import(name);
    const create = (mod as { create?: unknown }).create;
    if (typeof create !== 'function') return { unavailable: 'the webgpu package has no create()' };
    entry = create([]) as GpuEntry;
    alive.add(entry);
  } catch (e) {
    return { unavailable: `the webgpu package (Dawn for Node) could not be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  return deviceFrom(entry);
}

/** Destroys the process's device and lets Dawn's instance go (a live device keeps Node from exiting); the next wgslDevice() opens a new one. */
export async function closeWgslDevice(): Promise<void> {
  const d = opened && (await opened);
  opened = undefined;
  if (d && 'device' in d) d.device.destroy();
  alive.clear();
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
  let device: GpuDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, label: 'slice-studio' });
  } catch (e) {
    return { unavailable: `the WebGPU adapter refused a device: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ') || 'WebGPU adapter';
  return { device, adapter: name };
}
