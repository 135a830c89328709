import { formatBytes, formatPlan } from '../../../plan/index';
import { intFlag, stringFlag, UsageError } from '../args';
import type { Command } from '../command';
import { epFlag, numberFlag } from './shared/flags';

function gpuFlag(value: string | undefined): 'auto' | number[] | undefined {
  if (value === undefined || value === 'auto') return value;
  if (value === 'none' || value === 'cpu') return [];
  const sizes = value.split(',').map((p) => Number(p.trim().replace(/\s*gi?b$/i, '')));
  if (sizes.some((n) => !Number.isFinite(n) || n <= 0)) throw new UsageError(`--gpus must be auto, cpu, or sizes in GB separated by commas (e.g. 24,24), got "${value}"`);
  return sizes;
}

export const plan: Command = {
  name: 'plan',
  usage: 'plan <model-or-config.json> [--gpus auto|cpu|24,24] [--format fp16|q8|q4] [--ctx N] [--batch N] [--ratio R] [--round K] [--slice-head] [--nsamples N] [--seqlen N] [--ep cpu|webgpu] [--vram-gb G] [--ram-gb G] [--json]',
  summary: 'VRAM plan: the smallest slicing ratio that fits these GPUs, or why nothing does and what would; what slicing will cost',
  flags: { values: ['gpus', 'format', 'ctx', 'batch', 'ratio', 'round', 'nsamples', 'seqlen', 'ep', 'vram-gb', 'ram-gb'], booleans: ['slice-head'] },
  async run(ctx) {
    const [path, extra] = ctx.args.positionals;
    if (!path) throw new UsageError('plan needs a model folder or a config.json');
    if (extra) throw new UsageError(`plan takes one model, got also "${extra}"`);
    const opts = {
      gpus: gpuFlag(stringFlag(ctx.args, 'gpus')),
      format: stringFlag(ctx.args, 'format'),
      ctx: intFlag(ctx.args, 'ctx', 1, 1 << 24),
      batch: intFlag(ctx.args, 'batch', 1, 1 << 16),
      ratio: numberFlag(ctx, 'ratio', 0, 0.99),
      round: intFlag(ctx.args, 'round', 1, 4096),
      sliceHead: ctx.args.flags.has('slice-head') || undefined,
      nsamples: intFlag(ctx.args, 'nsamples', 1, 1 << 20),
      seqlen: intFlag(ctx.args, 'seqlen', 2, 1 << 20),
      ep: epFlag(ctx),
      vramGb: numberFlag(ctx, 'vram-gb', 0, 1 << 20),
      ramGb: numberFlag(ctx, 'ram-gb', 0.01, 1 << 20),
    };
    const r = await (await ctx.service()).planModel(path, opts);
    if (ctx.json) {
      ctx.out(JSON.stringify(r, null, 2));
      return 0;
    }
    const machine = r.hardware.gpus.length ? r.hardware.gpus.map((g) => `${g.name}: ${formatBytes(g.freeBytes)} free`).join(', ') : `no GPU: the CPU with ${formatBytes(r.hardware.ramFreeBytes)} of free RAM`;
    const lines = [`Planning for ${machine}.`, '', formatPlan(r.plan)];
    if (r.estimate) {
      const e = r.estimate;
      lines.push(
        '',
        `At ${Math.round(e.ratio * 100)}% (d = ${e.d}): ${e.params.total.toLocaleString('en-US')} parameters, ${formatBytes(e.totalBytes)} of ${formatBytes(e.capacityBytes)} — ${e.fits ? 'fits' : 'does not fit'}.`,
        ...e.warnings.map((w) => `  ! ${w}`),
        ...(e.ggufBlocks && !e.ggufBlocks.fits ? [`  GGUF K-quants: ${e.ggufBlocks.line}`] : []),
      );
    }
    const best = r.combination.best;
    if (best)
      lines.push(
        '',
        `Best expected quality for these GPUs as GGUF: ${best.format} at ${Math.round(best.ratio * 100)}% (d = ${best.d}), perplexity ≈ ${best.expectedFactor.toFixed(3)}× dense (${best.basis}); ${r.combination.candidates.length} type(s) fit:`,
        ...r.combination.candidates.map((c) => `  ${c.format.padEnd(6)} ${`${Math.round(c.ratio * 100)}%`.padStart(4)}  ${formatBytes(c.totalBytes).padStart(10)}  ≈ ${c.expectedFactor.toFixed(3)}× (${c.basis})`),
        `  rule: ${r.combination.rule}`,
      );
    const p = r.slicing;
    const t = (sec: number) => (sec < 5400 ? `${Math.round(sec / 60)} min` : `${(sec / 3600).toFixed(1)} h`);
    lines.push(
      '',
      `Slicing at ${Math.round((opts.ratio ?? (r.plan.ratio || 0.25)) * 100)}% with ${opts.nsamples ?? 128} × ${opts.seqlen ?? 2048} calibration tokens will take about ${t(p.totalSeconds)} ` +
        `(${p.perLayer.total.toFixed(0)} s per layer), peak RAM ${formatBytes(p.peakRamBytes)}${p.peakVramBytes !== null ? `, peak VRAM ${formatBytes(p.peakVramBytes)}` : ''}, disk ${formatBytes(p.disk.totalBytes)}.`,
      ...p.basis.map((b) => `  ${b}`),
      `  From: time ${p.origins.time.kind}, RAM ${p.origins.peakRam.kind}${p.origins.peakVram ? `, VRAM ${p.origins.peakVram.kind}` : ''}, disk ${p.origins.disk.kind} (--json: origins).`,
      ...(p.refusal ? [`  ! slice would refuse this: ${p.refusal}`] : []),
    );
    ctx.out(lines.join('\n'));
    return 0;
  },
};
