// The ArchSpec the block graphs need, from a parsed config; shapes the runtime cannot run are refused here.
import { ConfigError } from './config-fields';
import type { ModelConfig } from './config-shape';
import type { ArchSpec, Llama3Rope } from './model-source';

/** The RoPE types the runtime computes; every other type (yarn, dynamic, longrope, linear, …) is refused by name. */
const RUNNABLE_ROPE = ['default', 'llama3'];

export function archSpec(c: ModelConfig): ArchSpec {
  if (c.rope && !RUNNABLE_ROPE.includes(c.rope.type)) throw new ConfigError(`RoPE type ${JSON.stringify(c.rope.type.slice(0, 40))} is not supported (Slice Studio runs ${RUNNABLE_ROPE.map((t) => JSON.stringify(t)).join(' and ')})`);
  if (c.numHeads % c.numKvHeads !== 0) throw new ConfigError(`${c.numHeads} attention heads do not split into ${c.numKvHeads} KV heads`);
  return {
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    rope: c.rope ? { theta: c.rope.theta, rotaryDim: c.rope.rotaryDim, ...(c.rope.type === 'llama3' ? { llama3: llama3Rope(c.rope.scaling) } : {}) } : null,
    ...(c.qkNorm ? { qkNorm: true } : {}),
    activation: c.activation,
    gatedMlp: c.gatedMlp,
    parallelBlocks: c.parallelBlocks,
  };
}

/** rope_scaling's four llama3 factors, each a positive number (high above low), or a one-line ConfigError. */
export function llama3Rope(s: Record<string, unknown> | null): Llama3Rope {
  const num = (key: string): number => {
    const v = s?.[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`config.json: rope_scaling "llama3" needs a positive ${key} (got ${JSON.stringify(v ?? null)})`);
    return v;
  };
  const r = { factor: num('factor'), lowFreqFactor: num('low_freq_factor'), highFreqFactor: num('high_freq_factor'), originalMaxPositions: num('original_max_position_embeddings') };
  if (r.highFreqFactor <= r.lowFreqFactor) throw new ConfigError(`config.json: rope_scaling "llama3" needs high_freq_factor (${r.highFreqFactor}) above low_freq_factor (${r.lowFreqFactor})`);
  return r;
}
