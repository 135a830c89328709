// What a model family is to Slice Studio: one module per family (llama.ts, opt.ts, phi.ts) holding everything
// that differs by family — how config.json says it, where each weight lives, and what the exporters call it —
// and one table (index.ts) listing them. Everything else reads ModelConfig's fields, never the family's name.
import type { Activation, ModelConfig } from '../config-shape';
import type { Adapter } from './names';

/** The ModelConfig fields a family decides (the rest are read the same way for every family). */
export type FamilyShape = Pick<ModelConfig, 'parallelBlocks' | 'norm' | 'gatedMlp' | 'attentionBias' | 'attentionOutBias' | 'mlpBias' | 'lmHeadBias' | 'positionOffset' | 'qkNorm'> & {
  /** Rotary position embeddings (else a learned position table, `positionOffset` rows in). */
  rotary: boolean;
};

export interface FamilyModule {
  /** config.json's `model_type`; also the family's name everywhere (ModelConfig.family, the store, the UI). */
  id: string;
  /** How `architectures` names the family: `${architecturePrefix}For…` (any case). */
  architecturePrefix: string;
  /** config.json keys that may hold the MLP width, first present wins. */
  mlpWidthKeys: readonly string[];
  /** What an absent key means for this family. */
  defaults: { activation: Activation; normEps: number; tieWordEmbeddings: boolean };
  /** Throws a ConfigError ("… not supported") for variants of the family that cannot be sliced. */
  refuse?(raw: Record<string, unknown>, hiddenSize: number): void;
  shape(raw: Record<string, unknown>): FamilyShape;
  /** Where the family keeps each weight (Hugging Face tensor names). */
  adapter: Adapter;
  /** onnxruntime-genai's model `type` (genai_config.json). */
  genaiType: string;
  /** llama.cpp architecture (general.architecture) a GGUF export writes the family as; null when there is no GGUF export. */
  gguf: 'llama' | 'qwen2' | 'qwen3' | 'phi3' | null;
  /** Shared tokenizers a synthetic model of the family copies, best first (../shared/data/tokenizers). */
  synthTokenizers: readonly string[];
}
