import type { GpuVendor } from './types';

/** Vendor from any free-text hint (adapter name, "AdapterCompatibility", system_profiler's vendor key). */
export function vendorFromText(...hints: (string | null | undefined)[]): GpuVendor {
  const s = hints.filter(Boolean).join(' ').toLowerCase();
  if (/nvidia|geforce|quadro|tesla|ven_10de|vendor_nvidia/.test(s)) return 'nvidia';
  if (/advanced micro|\bamd\b|radeon|instinct|\bati\b|ven_1002|vendor_amd/.test(s)) return 'amd';
  if (/apple/.test(s)) return 'apple';
  if (/intel|ven_8086|vendor_intel/.test(s)) return 'intel';
  return 'other';
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
