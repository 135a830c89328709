// rocm-smi --showproductname --showmeminfo vram --json prints one object per card ("card0": {...}) plus,
// on some versions, a "system" object holding the driver version. Key spellings changed across ROCm
// releases ("Card series" → "Card Series"; 6.x adds "Device Name"), so several are accepted.
import type { GpuInfo } from './types';

export const ROCM_SMI_ARGS = ['--showproductname', '--showmeminfo', 'vram', '--showdriverversion', '--json'];

const pick = (o: Record<string, unknown>, ...keys: string[]): string | null => {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string' && v.trim() && v !== 'N/A') return v.trim();
  }
  return null;
};

export function parseRocmSmi(json: string): GpuInfo[] {
  let data: Record<string, Record<string, unknown>>;
  try {
    data = JSON.parse(json);
  } catch {
    return []; // rocm-smi prints plain-text errors when no GPU or driver is present
  }
  if (!data || typeof data !== 'object') return [];
  const driver = data.system ? pick(data.system, 'Driver version', 'Driver Version') : null;
  const gpus: GpuInfo[] = [];
  for (const [key, card] of Object.entries(data)) {
    if (!/^card\d+$/.test(key) || !card || typeof card !== 'object') continue;
    const total = Number(pick(card, 'VRAM Total Memory (B)') ?? NaN);
    const used = Number(pick(card, 'VRAM Total Used Memory (B)') ?? NaN);
    const series = pick(card, 'Card Series', 'Card series', 'Device Name');
    const model = pick(card, 'Card Model', 'Card model', 'Device ID');
    gpus.push({
      vendor: 'amd',
      name: series ?? (model ? `AMD GPU ${model}` : `AMD GPU ${key}`),
      totalBytes: Number.isFinite(total) ? total : 0,
      freeBytes: Number.isFinite(total) && Number.isFinite(used) ? total - used : null,
      driver: pick(card, 'Driver version') ?? driver,
      unifiedMemory: false,
      source: 'rocm-smi',
    });
  }
  return gpus;
}
