// A recovery's training loss per step, from wherever it is at hand: the live job's progress payloads
// ({ step, loss, … } per optimizer step) or the run as stored (one layer_stats row per step, phase
// 'train-loss', layer = step). A resumed run reports steps again: the newest value of a step wins.
import type { LayerStatRow } from '../../../core/store/types';

export interface LossPoint {
  step: number;
  loss: number;
}

const byStep = (pts: LossPoint[]): LossPoint[] => [...new Map(pts.map((p) => [p.step, p])).values()].sort((a, b) => a.step - b.step);

export function lossFromProgress(data: readonly Record<string, unknown>[]): LossPoint[] {
  return byStep(data.flatMap((d) => (typeof d['step'] === 'number' && typeof d['loss'] === 'number' ? [{ step: d['step'], loss: d['loss'] }] : [])));
}

export function lossFromRun(layers: readonly Pick<LayerStatRow, 'layer' | 'phase' | 'dims'>[]): LossPoint[] {
  return byStep(
    layers.flatMap((l) => {
      const loss = l.phase === 'train-loss' && l.dims && !Array.isArray(l.dims) ? l.dims['loss'] : undefined;
      return typeof loss === 'number' ? [{ step: l.layer, loss }] : [];
    }),
  );
}
