// The ArchSpec the block graphs need, from a parsed config; shapes the runtime cannot run are refused here.
import { ConfigError } from './config-fields';
import type { ModelConfig } from './config-shape';
import type { ArchSpec } from './model-source';

export function archSpec(c: ModelConfig): ArchSpec {
  if (c.rope && c.rope.type !== 'default') throw new ConfigError(`RoPE type ${JSON.stringify(c.rope.type.slice(0, 40))} is not supported yet (only the default rotary embedding)`);
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
