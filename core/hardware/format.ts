// Human-readable hardware report for the CLI and logs.
import type { HardwareReport } from './types';

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function formatHardware(r: HardwareReport): string {
  const lines: string[] = [];
  lines.push(`Platform   ${r.platform}`);
  lines.push(`CPU        ${r.cpu.model} (${r.cpu.cores} cores)`);
  lines.push(`RAM        ${formatBytes(r.ram.totalBytes)} total, ${formatBytes(r.ram.freeBytes)} free`);
  lines.push(`Disk       ${formatBytes(r.disk.freeBytes)} free of ${formatBytes(r.disk.totalBytes)} at ${r.disk.path}`);
  if (!r.gpus.length) lines.push('GPUs       none detected');
  r.gpus.forEach((g, i) => {
    const mem = g.unifiedMemory ? `${formatBytes(g.totalBytes)} unified memory` : `${formatBytes(g.totalBytes)} VRAM${g.freeBytes !== null ? `, ${formatBytes(g.freeBytes)} free` : ''}`;
    lines.push(`${i === 0 ? 'GPUs      ' : '          '} [${i}] ${g.name} (${g.vendor}) — ${mem}${g.driver ? `, driver ${g.driver}` : ''} [${g.source}]`);
  });
  if (r.providers.length) {
    lines.push('Providers');
    for (const p of r.providers) lines.push(`  ${p.available ? '✓' : '✗'} ${p.ep.padEnd(7)} ${p.reason}`);
  }
  lines.push(`Will use   ${r.chosenProvider.ep} — ${r.chosenProvider.reason}`);
  return lines.join('\n');
}
