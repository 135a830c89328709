// nvidia-smi --query-gpu=index,name,memory.total,memory.free,driver_version --format=csv,noheader,nounits
// prints one line per GPU: "0, NVIDIA H100 80GB HBM3, 81559, 81079, 580.159.04" (memory in MiB).
// Unified-memory parts (GB10, Grace) print "[N/A]" or "Not Supported" for memory; a broken driver prints a
// sentence ("NVIDIA-SMI has failed because …") on stdout. Neither may crash detection.
import type { GpuInfo } from './types';
import { MiB } from './vendor';

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total,memory.free,driver_version', '--format=csv,noheader,nounits'];

const mib = (s: string): number | null => (/^\d+(\.\d+)?$/.test(s) ? Math.round(Number(s) * MiB) : null);

/** @param ramBytes system RAM, used as the pool size of unified-memory GPUs that report no VRAM of their own. */
export function parseNvidiaSmi(csv: string, ramBytes = 0): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const f = line.split(',').map((x) => x.trim());
    if (f.length < 5 || !/^\d+$/.test(f[0])) continue;
    // A GPU name could contain a comma; the other four fields cannot, so take them from the ends.
    const driver = f[f.length - 1];
    const free = mib(f[f.length - 2]);
    const total = mib(f[f.length - 3]);
    const name = f.slice(1, f.length - 3).join(', ');
    const unified = total === null;
    gpus.push({
      vendor: 'nvidia',
      name,
      totalBytes: total ?? ramBytes,
      freeBytes: free,
      driver: /^\d/.test(driver) ? driver : null,
      unifiedMemory: unified,
      source: 'nvidia-smi',
    });
  }
  return gpus;
}
