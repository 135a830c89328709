// The plan as text for the CLI: verdict first, then per-device usage, warnings, suggestions and the
// arithmetic. The app renders the same PlanResult fields itself.
import { formatBytes } from './hardware';
import type { PlanResult } from './planner';

export function formatPlan(p: PlanResult): string {
  const e = p.estimate;
  const o = e.options;
  const out: string[] = [];
  const setup = `${o.format.label}, context ${o.ctx}, batch ${o.batch}${o.rotation === 'uniform' ? ', uniform rotation' : ''}`;
  if (!p.fits) out.push(`Does not fit (${setup}).`);
  else if (p.ratio === 0) out.push(`Fits without slicing (${setup}).`);
  else out.push(`Slice at ${Math.round(p.ratio! * 100)}% (d = ${p.d} of ${e.D}) to fit (${setup}).`);
  out.push('');
  for (const u of e.devices) {
    if (u.usedBytes === 0) continue;
    const b = u.breakdown;
    const parts = [
      ['weights', b.weights + b.embedding + b.head],
      ['shortcuts', b.shortcuts],
      ['KV cache', b.kvCache],
      ['activations', b.activations],
      ['runtime', b.runtime],
    ]
      .filter(([, v]) => (v as number) > 0)
      .map(([k, v]) => `${k} ${formatBytes(v as number)}`);
    out.push(`  ${u.fits ? 'ok  ' : 'OVER'} ${u.device}: ${formatBytes(u.usedBytes)} / ${formatBytes(u.capacityBytes)}  (${parts.join(', ')})`);
  }
  if (p.reasons.length) out.push('', 'Why not:', ...p.reasons.map((r) => `  - ${r}`));
  if (p.suggestions.length) out.push('', 'What would fit:', ...p.suggestions.map((s) => `  - ${s.text}`));
  if (p.warnings.length) out.push('', 'Warnings:', ...p.warnings.map((w) => `  ! ${w}`));
  out.push('', 'How this was computed:', ...p.explain.map((l) => `  ${l}`));
  return out.join('\n');
}
