// The planner's own view of the machine: GPUs with free and total VRAM, and free RAM. It is
// deliberately a plain shape so the planner does not depend on how devices are detected; the app maps
// its hardware report onto it, and the CLI builds one from `--gpus 24,24`.
import { PlanInputError } from './params';

export interface PlanGpu {
  name: string;
  freeBytes: number;
  totalBytes: number;
}

export interface PlanHardware {
  /** In device order: the split puts the embedding on the first and the head on the last one used. */
  gpus: PlanGpu[];
  ramFreeBytes: number;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/**
 * `--gpus 24,24` → two GPUs of 24 GiB each, all free. Sizes are in GB as cards are sold, which for
 * VRAM means GiB (a "24 GB" card has 24576 MiB). Decimals are accepted ("7.5").
 */
export function parseGpuList(list: string, ramFreeBytes = 0): PlanHardware {
  const parts = list.split(',').map((s) => s.trim());
  if (list.trim() === '' || parts.some((p) => p === '')) throw new PlanInputError(`--gpus "${list}": expected sizes in GB separated by commas, e.g. 24,24`);
  const gpus = parts.map((p, i) => {
    const gb = Number(p.replace(/\s*gi?b$/i, ''));
    if (!Number.isFinite(gb) || gb <= 0 || gb > 4096) throw new PlanInputError(`--gpus: "${p}" is not a GPU size in GB (e.g. 24)`);
    const bytes = Math.round(gb * GiB);
    return { name: `GPU ${i} (${gb} GiB)`, freeBytes: bytes, totalBytes: bytes };
  });
  return { gpus, ramFreeBytes };
}

/** "12.3 GiB" / "512 MiB": GiB, as GPU tools show VRAM. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '−' : '';
  const b = Math.abs(bytes);
  if (b >= GiB) return `${sign}${(b / GiB).toFixed(b >= 100 * GiB ? 0 : b >= 10 * GiB ? 1 : 2)} GiB`;
  if (b >= MiB) return `${sign}${(b / MiB).toFixed(b >= 100 * MiB ? 0 : 1)} MiB`;
  if (b >= 1024) return `${sign}${(b / 1024).toFixed(1)} KiB`;
  return `${sign}${b} B`;
}
