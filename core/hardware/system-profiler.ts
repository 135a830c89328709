// macOS: `system_profiler SPDisplaysDataType -json`. Apple silicon GPUs list no VRAM because they share the
// system RAM (unified memory), so their pool is the machine's RAM; discrete cards on Intel Macs report
// "spdisplays_vram": "8 GB", integrated Intel ones "spdisplays_vram_shared": "1536 MB".
import type { GpuInfo } from './types';
import { vendorFromText, MiB, GiB } from './vendor';

export const SYSTEM_PROFILER_ARGS = ['SPDisplaysDataType', '-json'];

function size(s: unknown): number | null {
  const m = typeof s === 'string' ? /([\d.]+)\s*(GB|MB)/i.exec(s) : null;
  if (!m) return null;
  return Math.round(Number(m[1]) * (m[2].toUpperCase() === 'GB' ? GiB : MiB));
}

export function parseSystemProfiler(json: string, ramBytes: number): GpuInfo[] {
  let data: { SPDisplaysDataType?: Record<string, unknown>[] };
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  const items = Array.isArray(data?.SPDisplaysDataType) ? data.SPDisplaysDataType : [];
  const gpus: GpuInfo[] = [];
  for (const it of items) {
    if (!it || typeof it !== 'object') continue;
    const name = String(it.sppci_model ?? it._name ?? 'GPU');
    const vendor = vendorFromText(String(it.spdisplays_vendor ?? ''), name);
    const dedicated = size(it.spdisplays_vram);
    const shared = size(it.spdisplays_vram_shared);
    const unified = vendor === 'apple' || (dedicated === null && shared !== null);
    gpus.push({
      vendor,
      name,
      totalBytes: vendor === 'apple' ? ramBytes : (dedicated ?? shared ?? 0),
      freeBytes: null,
      driver: typeof it.spdisplays_mtlgpufamilysupport === 'string' ? String(it.spdisplays_mtlgpufamilysupport).replace(/^spdisplays_/, '') : null,
      unifiedMemory: unified,
      source: 'system_profiler',
    });
  }
  return gpus;
}
