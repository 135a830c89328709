// Before recovery fine-tuning starts: which step fits (the one-graph step when the whole training graph
// fits comfortably in RAM, else the layer-streamed one), and a refusal in one line when even the
// streamed step does not fit, saying what it needs (from the memory model, memory.ts) and what to lower.
import type { ModelConfig } from '../model/config';
import { formatBytes } from '../plan/hardware';
import { available } from '../slicegpt/preflight';
import { parseSlicingConfig } from '../slicegpt/slicing-config';
import type { ExecutionProvider } from '../runtime/contract';
import { trainMemory, trainShape, type TrainMemory, type TrainSettings } from './memory';

export type TrainEngine = 'whole' | 'streamed';

/** Training would not fit this machine (one line: what it needs, what is free). */
export class RecoverMemoryError extends Error {
  override name = 'RecoverMemoryError';
}

/** The one-graph step only while it needs under this share of the available RAM (it holds every block). */
const WHOLE_SHARE = 0.5;

export interface RecoverPlan {
  engine: TrainEngine;
  memory: TrainMemory;
  /** Bytes the chosen path needs on the host. */
  hostBytes: number;
}

export function planRecover(
  m: { config: ModelConfig; slicing: Record<string, unknown>; tiedEmbedding: boolean },
  o: TrainSettings & { storedBytes: number; ep: ExecutionProvider; engine?: TrainEngine | 'auto'; vramBytes?: number },
  ramBytes: number = available('.').ramBytes,
): RecoverPlan {
  const memory = trainMemory(trainShape(m.config, parseSlicingConfig(m.slicing), o.storedBytes, m.tiedEmbedding), o);
  const gpu = o.ep !== 'cpu';
  const auto = !gpu && memory.whole.host <= WHOLE_SHARE * ramBytes ? 'whole' : 'streamed';
  const engine: TrainEngine = o.engine && o.engine !== 'auto' ? o.engine : auto;
  if (engine === 'whole' && gpu) throw new RecoverMemoryError('the one-graph training step runs on the CPU only: use the streamed step on a GPU');
  const hostBytes = engine === 'whole' ? memory.whole.host : gpu ? memory.streamed.hostWithGpu : memory.streamed.host;
  const lower = `(a smaller --batch or --seqlen needs less${o.batch * o.seq > 512 ? `; ${o.batch} × ${o.seq} tokens per micro-batch now` : ''})`;
  if (hostBytes > ramBytes) throw new RecoverMemoryError(`not enough memory to train: the ${engine === 'whole' ? 'one-graph' : 'layer-streamed'} step needs about ${formatBytes(hostBytes)} of RAM and ${formatBytes(ramBytes)} is available ${lower}`);
  if (gpu && o.vramBytes !== undefined && memory.streamed.device > o.vramBytes)
    throw new RecoverMemoryError(`not enough GPU memory to train: the layer-streamed step needs about ${formatBytes(memory.streamed.device)} and the GPU has ${formatBytes(o.vramBytes)} ${lower}`);
  return { engine, memory, hostBytes };
}
