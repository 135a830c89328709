// The learning rate at each step: linear warm-up from 0, then cosine or linear decay to 0 at the last
// step (transformers' get_cosine_schedule_with_warmup / get_linear_schedule_with_warmup), or constant.
export type LrDecay = 'cosine' | 'linear' | 'constant';

export interface LrSchedule {
  lr: number;
  warmup: number;
  steps: number;
  decay: LrDecay;
}

/** The rate for 0-based step `step`. */
export function learningRate(s: LrSchedule, step: number): number {
  if (step < s.warmup) return (s.lr * step) / Math.max(1, s.warmup);
  if (s.decay === 'constant') return s.lr;
  const progress = (step - s.warmup) / Math.max(1, s.steps - s.warmup);
  if (s.decay === 'linear') return s.lr * Math.max(0, 1 - progress);
  return s.lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
