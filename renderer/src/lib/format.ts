// One byte formatter for every screen: binary units named as such (KiB, MiB, GiB), the planner's own, so
// the plan's bars, its explanation and the rest of the app print a size the same way.
export { formatBytes } from '../../../core/plan/hardware';

export const count = (n: number): string => n.toLocaleString('en-US');

/** 5048576 → "5.05 M", 68976648192 → "68.98 B". */
export function shortCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

export function when(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export const EP_NAMES: Record<string, string> = {
  cpu: 'CPU',
  webgpu: 'WebGPU',
  cuda: 'CUDA',
  dml: 'DirectML',
  coreml: 'Core ML',
};
