// genai_config.json for onnxruntime-genai (schema: onnxruntime.ai/docs/genai/reference/config.html).
// The decoder reads past keys/values by concatenation rather than into a preallocated buffer, so
// past_present_share_buffer must be false. `type` must be one of genai's known LLM types: each family names
// its own (FamilyModule.genaiType).
import type { ModelConfig } from '../model/config';
import { family } from '../model/families/index';

export function genaiConfig(cfg: ModelConfig, filename: string): Record<string, unknown> {
  const eos = cfg.eosTokenId ?? cfg.bosTokenId ?? 0;
  return {
    model: {
      bos_token_id: cfg.bosTokenId ?? eos,
      context_length: cfg.maxPositions,
      decoder: {
        session_options: { log_id: 'onnxruntime-genai', provider_options: [] },
        filename,
        head_size: cfg.headDim,
        hidden_size: cfg.hiddenSize,
        inputs: {
          input_ids: 'input_ids',
          attention_mask: 'attention_mask',
          position_ids: 'position_ids',
          past_key_names: 'past_key_values.%d.key',
          past_value_names: 'past_key_values.%d.value',
        },
        outputs: { logits: 'logits', present_key_names: 'present.%d.key', present_value_names: 'present.%d.value' },
        num_attention_heads: cfg.numHeads,
        num_hidden_layers: cfg.numLayers,
        num_key_value_heads: cfg.numKvHeads,
      },
      eos_token_id: eos,
      pad_token_id: cfg.padTokenId ?? eos,
      type: family(cfg.family).genaiType,
      vocab_size: cfg.vocabSize,
    },
    search: {
      diversity_penalty: 0.0,
      do_sample: false,
      early_stopping: true,
      length_penalty: 1.0,
      max_length: cfg.maxPositions,
      min_length: 0,
      no_repeat_ngram_size: 0,
      num_beams: 1,
      num_return_sequences: 1,
      past_present_share_buffer: false,
      repetition_penalty: 1.0,
      temperature: 1.0,
      top_k: 1,
      top_p: 1.0,
    },
  };
}
