// The wizard's Recover defaults for a given slice and machine, and the time they should take.
// Settings: r 32 (capped by the slice's width d: a rank above the smallest linear's width is refused),
// α 10 (the reference's RFT command), seqlen 256 (or the model's context if shorter), batch 4, and as
// many steps of the job's default (200) as fit a time budget (default 30 minutes) at the predicted rate.
// Time: training runs on the CPU EP, and its work per token is dominated by the matmuls of the blocks
// and the head, forward and backward — proportional to the layers' parameters plus vocab × width
// (the embedding is a lookup). So the predicted rate is a measured rate scaled by that work:
// - measured on this machine (rate-probe.ts: both training steps on the bundled tiny model, stored with
//   the hardware snapshot), when the caller has it;
// - else the table: one anchor measured elsewhere, scaled also by the core count — tiny-llama sliced 25 %
//   (3,612,672 such parameters) trained at 889 tokens/s on 2 shared cores
//   (bench/results/recover-wikitext2-r32-cpu-here.json), the one-graph step; the layer-streamed step
//   (recompute, two sessions per block, weights read per use) ran at 358 tokens/s where the one graph ran
//   at 998 on the same slice and batch (bench/results/recover-step-cpu-here.json), so a streamed run's
//   rate is the anchor times that ratio. The basis says which one was used.
// Once training runs, the job's own tokens/s and ETA replace the prediction.
import type { TrainEngine } from './engine-choice';
import type { TrainRate } from './rate-probe';

/** r 32 and α 10 as in the reference's RFT command; seqlen, batch and steps far below its 8,000 × 1024 tokens (the job's defaults read these). */
export const RFT_SHAPE_DEFAULTS = { rank: 32, alpha: 10, seqlen: 256, batch: 4, steps: 200 } as const;

export const RECOVER_RATE_ANCHOR = {
  tokensPerSecond: 889,
  workParams: 3_612_672,
  cores: 2,
  source: 'tiny-llama sliced 25 %, 889 training tokens/s on 2 shared CPU cores (bench/results/recover-wikitext2-r32-cpu-here.json)',
} as const;

/** Streamed over one-graph tokens/s, measured on tiny-llama 25 %, 4 × 256 tokens, CPU here. */
export const STREAMED_RATE = { streamed: 358, whole: 998, source: 'bench/results/recover-step-cpu-here.json' } as const;

export interface RecoverDefaultsInput {
  /** The slice's hidden width d. */
  d: number;
  /** Parameters in the sliced model's layers (shortcut matrices included). */
  layerParams: number;
  vocab: number;
  /** The head's input width (D unless the head was sliced). */
  headWidth: number;
  maxPositions: number;
  cores: number;
  /** Seconds the default steps should fit in (default 1800). */
  budgetSeconds?: number;
  /** The step that will run (engine-choice.ts); the one-graph step when not given. */
  engine?: TrainEngine;
  /** This machine's measured rates (rate-probe.ts); absent: the table's anchor, and the basis says so. */
  measured?: TrainRate | null;
}

/** The wizard's settings for a recovery and the time they should take (the engine and memory are engine-choice.ts's EnginePlan). */
export interface RecoverDefaults {
  rank: number;
  alpha: number;
  seqlen: number;
  batch: number;
  steps: number;
  /** Predicted training tokens/s and the wall time of `steps` (training only; loading and the merge add seconds). */
  tokensPerSecond: number;
  seconds: number;
  /** The step the rate is for. */
  engine: TrainEngine;
  /** How the time was predicted, in words. */
  basis: string;
  /** Whether the rate was measured on this machine or taken from the table. */
  rateSource: 'measured' | 'table';
}

/** The table's rate (the anchor measured elsewhere) scaled to `workParams` and `cores`. */
export const predictedTokensPerSecond = (workParams: number, cores: number, engine: TrainEngine = 'whole'): number =>
  ((RECOVER_RATE_ANCHOR.tokensPerSecond * RECOVER_RATE_ANCHOR.workParams * Math.max(1, cores)) / (Math.max(1, workParams) * RECOVER_RATE_ANCHOR.cores)) * (engine === 'streamed' ? STREAMED_RATE.streamed / STREAMED_RATE.whole : 1);

/** This machine's measured rate for `engine` scaled to `workParams` (same machine: no core factor). */
export const measuredTokensPerSecond = (r: TrainRate, workParams: number, engine: TrainEngine = 'whole'): number => (r.tokensPerSecond[engine] * r.workParams) / Math.max(1, workParams);

const engineWords = (e: TrainEngine) => (e === 'streamed' ? 'layer-streamed' : 'one-graph');

export const recoverSeconds = (steps: number, batch: number, seqlen: number, tokensPerSecond: number): number => (steps * batch * seqlen) / tokensPerSecond;

export function recoverDefaults(i: RecoverDefaultsInput): RecoverDefaults {
  const engine = i.engine ?? 'whole';
  const budget = i.budgetSeconds ?? 1800;
  const { rank, alpha, batch } = RFT_SHAPE_DEFAULTS;
  const seqlen = Math.min(RFT_SHAPE_DEFAULTS.seqlen, i.maxPositions);
  const work = i.layerParams + i.vocab * i.headWidth;
  const m = i.measured ?? null;
  const tps = m ? measuredTokensPerSecond(m, work, engine) : predictedTokensPerSecond(work, i.cores, engine);
  const fit = Math.floor((budget * tps) / (batch * seqlen));
  const steps = Math.max(10, Math.min(RFT_SHAPE_DEFAULTS.steps, fit));
  return {
    rank: Math.min(rank, i.d),
    alpha,
    seqlen,
    batch,
    steps,
    tokensPerSecond: tps,
    seconds: recoverSeconds(steps, batch, seqlen, tps),
    engine,
    rateSource: m ? 'measured' : 'table',
    basis: m
      ? `measured on this machine: the ${engineWords(engine)} step ran at ${m.tokensPerSecond[engine].toFixed(0)} tokens/s on ${m.probe} (${m.measuredAt.slice(0, 10)}), scaled by the matmul work per token`
      : `from the table, not measured on this machine: the rate measured on ${RECOVER_RATE_ANCHOR.source}, scaled by the matmul work per token and by ${i.cores} core${i.cores === 1 ? '' : 's'}` +
        (engine === 'streamed' ? `, times ${STREAMED_RATE.streamed}/${STREAMED_RATE.whole} for the layer-streamed step (measured: ${STREAMED_RATE.source})` : ''),
  };
}
