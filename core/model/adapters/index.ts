// Family → adapter, and the ArchSpec the block graphs need.
import { ConfigError, type Family, type ModelConfig } from '../config';
import type { ArchSpec } from '../model-source';
import type { Adapter } from './types';
import { llamaAdapter } from './llama';
import { optAdapter } from './opt';
import { phiAdapter } from './phi';

export type { Adapter, AdapterSpec } from './types';

export const ADAPTERS: Record<Family, Adapter> = {
  llama: llamaAdapter,
  mistral: llamaAdapter,
  qwen2: llamaAdapter,
  opt: optAdapter,
  phi: phiAdapter,
};

export function archSpec(c: ModelConfig): ArchSpec {
  if (c.rope && c.rope.type !== 'default')
    throw new ConfigError(`RoPE type ${JSON.stringify(c.rope.type.slice(0, 40))} is not supported yet (only the default rotary embedding)`);
  if (c.numHeads % c.numKvHeads !== 0) throw new ConfigError(`${c.numHeads} attention heads do not split into ${c.numKvHeads} KV heads`);
  return {
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    rope: c.rope ? { theta: c.rope.theta, rotaryDim: c.rope.rotaryDim } : null,
    activation: c.activation,
    gatedMlp: c.gatedMlp,
    parallelBlocks: c.parallelBlocks,
  };
}
