// Which training step runs and whether it fits, from the memory model (memory.ts) and the memory a machine
// has — pure, so the job (preflight.ts, on this process's free RAM) and the wizard (on the hardware
// report, before Start) decide alike and refuse in the same words.
import { formatBytes } from '../plan/hardware';
import type { ExecutionProvider } from '../hardware/types';
import type { TrainMemory } from './memory';

export type TrainEngine = 'whole' | 'streamed';

/** Training would not fit this machine (one line: what it needs, what is free). */
export class RecoverMemoryError extends Error {
  override name = 'RecoverMemoryError';
}

/** The one-graph step only while it needs under this share of the available RAM (it holds every block). */
const WHOLE_SHARE = 0.5;

/** The chosen step and what it needs (a different concept from the wizard's settings, RecoverDefaults). */
export interface EnginePlan {
  engine: TrainEngine;
  memory: TrainMemory;
  /** Bytes the chosen path needs on the host. */
  hostBytes: number;
}

export interface EngineChoiceInput {
  batch: number;
  seq: number;
  ep: ExecutionProvider;
  engine?: TrainEngine | 'auto';
  ramBytes: number;
  vramBytes?: number;
  /** What to lower, in the caller's words: the CLI's flags by default; the wizard names its own fields. */
  lower?: string;
}

export function chooseEngine(memory: TrainMemory, o: EngineChoiceInput): EnginePlan {
  const gpu = o.ep !== 'cpu';
  const auto = !gpu && memory.whole.host <= WHOLE_SHARE * o.ramBytes ? 'whole' : 'streamed';
  const engine: TrainEngine = o.engine && o.engine !== 'auto' ? o.engine : auto;
  if (engine === 'whole' && gpu) throw new RecoverMemoryError('the one-graph training step runs on the CPU only: use the streamed step on a GPU');
  const hostBytes = engine === 'whole' ? memory.whole.host : gpu ? memory.streamed.hostWithGpu : memory.streamed.host;
  const lower = `(a smaller ${o.lower ?? '--batch or --seqlen'} needs less${o.batch * o.seq > 512 ? `; ${o.batch} × ${o.seq} tokens per micro-batch now` : ''})`;
  if (hostBytes > o.ramBytes)
    throw new RecoverMemoryError(`not enough memory to train: the ${engine === 'whole' ? 'one-graph' : 'layer-streamed'} step needs about ${formatBytes(hostBytes)} of RAM and ${formatBytes(o.ramBytes)} is available ${lower}`);
  if (gpu && o.vramBytes !== undefined && memory.streamed.device > o.vramBytes)
    throw new RecoverMemoryError(`not enough GPU memory to train: the layer-streamed step needs about ${formatBytes(memory.streamed.device)} and the GPU has ${formatBytes(o.vramBytes)} ${lower}`);
  return { engine, memory, hostBytes };
}
