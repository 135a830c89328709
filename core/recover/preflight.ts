// Before recovery fine-tuning starts: which step fits (the one-graph step when the whole training graph
// fits comfortably in RAM, else the layer-streamed one), and a refusal in one line when even the
// streamed step does not fit, saying what it needs (from the memory model, memory.ts) and what to lower.
// The decision itself is engine-choice.ts (pure, shared with the wizard); this reads the folder and the RAM.
import type { ModelConfig } from '../model/config';
import { available } from '../slicegpt/preflight';
import { parseSlicingConfig } from '../slicegpt/slicing-config';
import type { ExecutionProvider } from '../runtime/contract';
import { chooseEngine, type EnginePlan, type TrainEngine } from './engine-choice';
import { trainMemory, trainShape, type TrainSettings } from './memory';

export { RecoverMemoryError, type EnginePlan, type TrainEngine } from './engine-choice';

export function planRecover(
  m: { config: ModelConfig; slicing: Record<string, unknown>; tiedEmbedding: boolean },
  o: TrainSettings & { storedBytes: number; ep: ExecutionProvider; engine?: TrainEngine | 'auto'; vramBytes?: number },
  ramBytes: number = available('.').ramBytes,
): EnginePlan {
  const memory = trainMemory(trainShape(m.config, parseSlicingConfig(m.slicing), o.storedBytes, m.tiedEmbedding), o);
  return chooseEngine(memory, { ...o, ramBytes });
}
