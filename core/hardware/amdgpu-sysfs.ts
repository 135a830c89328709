// Without ROCm installed, the amdgpu kernel driver still exposes VRAM in sysfs:
// /sys/class/drm/cardN/device/{vendor,device,mem_info_vram_total,mem_info_vram_used,product_name}.
// vendor 0x1002 is AMD; connector entries (card0-DP-1) are skipped.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpuInfo } from './types';

async function read(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

export async function readAmdgpuSysfs(root = '/sys/class/drm', moduleRoot = '/sys/module/amdgpu'): Promise<GpuInfo[]> {
  let entries: string[];
  try {
    entries = (await readdir(root)).filter((e) => /^card\d+$/.test(e)).sort();
  } catch {
    return [];
  }
  const driver = await read(join(moduleRoot, 'version'));
  const gpus: GpuInfo[] = [];
  for (const card of entries) {
    const dev = join(root, card, 'device');
    if ((await read(join(dev, 'vendor')))?.toLowerCase() !== '0x1002') continue;
    const total = Number(await read(join(dev, 'mem_info_vram_total')));
    const used = Number(await read(join(dev, 'mem_info_vram_used')));
    if (!Number.isFinite(total) || total <= 0) continue;
    const product = await read(join(dev, 'product_name'));
    const id = await read(join(dev, 'device'));
    gpus.push({
      vendor: 'amd',
      name: product || `AMD GPU ${id ?? card}`,
      totalBytes: total,
      freeBytes: Number.isFinite(used) ? total - used : null,
      driver: driver || null,
      unifiedMemory: false,
      source: 'amdgpu-sysfs',
    });
  }
  return gpus;
}
