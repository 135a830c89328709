// README.md for a sliced model folder: what the tensors are, what slicing_config.json's fields mean (named
// as the reference implementation names them), how to load the folder in Slice Studio and in
// microsoft/TransformerCompression, and why plain transformers cannot.
import type { ModelConfig } from '../model/config';
import { tensorNames, TIED_TENSORS } from '../slicegpt/sliced-source';
import type { SlicingConfigJson } from '../slicegpt/slicing-config';

export function slicedReadme(cfg: ModelConfig, slicing: SlicingConfigJson, info: { name: string; ratio?: number; dtype?: string; tiedEmbedding?: boolean }): string {
  const n = tensorNames(cfg);
  const p = n.layer(0);
  const D = cfg.hiddenSize;
  const d = slicing.const_dimension ?? slicing.embedding_dimensions?.['0'] ?? D;
  const ratio = info.ratio !== undefined ? `${Math.round(info.ratio * 1000) / 10} %` : `about ${Math.round((1 - d / D) * 1000) / 10} %`;
  const last = (name: string) => name.slice(name.lastIndexOf('.') + 1);
  const mlpIn = n.gate ? `${last(n.gate)}/${last(n.up)}` : last(n.up);
  const shortcuts = slicing.parallel_blocks ? `\`${p}.attn_shortcut_Q\` (one per block: the block's attention and MLP read the same normalized input)` : `\`${p}.attn_shortcut_Q\` and \`${p}.mlp_shortcut_Q\``;
  const P = TIED_TENSORS;
  const embedding = info.tiedEmbedding
    ? `- \`${n.tokens}\`: vocab × ${D}, the model's own tied embedding table, unchanged and stored once (sliced-folder
  format 2, \`slice_studio.json\`); \`${P.embedProjection}\` (${D} × ${slicing.embedding_dimensions?.['0'] ?? d}) turns its rows into the sliced
  embeddings: fused (rows centred for LayerNorm models) times Q₀, sliced.${n.positions ? ` \`${n.positions}\`: positions × ${d}, times Q₀, sliced.` : ''}`
    : `- \`${n.tokens}\`${n.positions ? ` and \`${n.positions}\`` : ''}: vocab × ${slicing.embedding_dimensions?.['0'] ?? d} — the embeddings times Q₀, sliced.`;
  const shift = cfg.norm === 'layernorm' ? `, and\n  \`${P.headProjection}.bias\` (${D}) the final LayerNorm's shift` : '';
  const head = info.tiedEmbedding
    ? `- \`${P.headProjection}.weight\`: ${D} × head_dimension, the final norm's scale times the last Q${shift}: logits =
  (x·Wᵀ${shift ? ' + b' : ''})·Eᵀ with E = \`${n.tokens}\`.`
    : `- \`${n.head}.weight\`: vocab × head_dimension, its input rotated by the last Q.`;
  const untie = info.tiedEmbedding
    ? `
# this folder stores its tied embedding once (format 2): materialise the two tables the reference expects
E = state["${n.tokens}"].float()
state["${n.tokens}"] = E @ state.pop("${P.embedProjection}").float()
state["${n.head}.weight"] = E @ state.pop("${P.headProjection}.weight").float()${
        cfg.norm === 'layernorm'
          ? `
state["${n.head}.bias"] = E @ state.pop("${P.headProjection}.bias").float()`
          : ''
      }`
    : '';
  return `# ${info.name} — sliced with SliceGPT

A ${cfg.architecture} (${cfg.numLayers} layers, hidden size ${D}) with ${ratio} of its hidden width deleted by
SliceGPT (Ashkboos et al., ICLR 2024), as written by Slice Studio. Kept width: ${d} of ${D}${slicing.do_slice_head ? ' (head sliced too)' : ''}.
Weights: ${info.dtype ?? 'float32'} safetensors, one shard per piece (embeddings, each layer, head), indexed by
\`model.safetensors.index.json\`.

## What the tensors are

SliceGPT first fuses every LayerNorm/RMSNorm's scale (and bias) into the linear layers that read it, then
multiplies each weight by orthogonal matrices Q (eigenvectors of the calibration activations' second
moment, a PCA) so that the residual stream is expressed in its principal directions, and deletes the
least significant directions. Tensor names follow Hugging Face's for the family; shapes are sliced:

${embedding}
- per layer \`${p}.${n.q}\`, \`${n.k}\`, \`${n.v}\` and \`${mlpIn}\`: inputs rotated and sliced
  (out × attention_input_dimensions[i] / mlp_input_dimensions[i]).
- \`${p}.${n.o}\` and \`${n.down}\`: outputs rotated and sliced (attention_output_dimensions[i] /
  mlp_output_dimensions[i] × in); their biases likewise.
- ${shortcuts}: the residual connection's change of basis,
  Qᵢ₋₁ᵀ·Qᵢ restricted to the kept directions (d_in × d_out; residual′ = residual · Q), in the weights' dtype.
${head}
- No norm tensors: after fusion every norm is a weightless RMSNorm, x / sqrt(Σx²/${D} + ${cfg.normEps}). It
  divides by the ORIGINAL hidden size ${D} (\`config.json\` keeps it), not by the sliced width: the sliced
  signal carries the same norm as the full one.

## slicing_config.json

The reference implementation's \`SlicingConfig\` (microsoft/TransformerCompression, \`model_adapter.py\`),
serialized as its dataclass fields, per-index dictionaries keyed by decimal strings:

| field | meaning | here |
| --- | --- | --- |
| \`hidden_size\` | the model's original hidden size D | ${slicing.hidden_size} |
| \`layers_num\` | number of decoder layers | ${slicing.layers_num} |
| \`do_slice_head\` | whether the LM head's input was sliced too | ${slicing.do_slice_head} |
| \`parallel_blocks\` | attention and MLP read one norm in parallel (phi) | ${slicing.parallel_blocks} |
| \`embedding_dimensions\` | width of each embedding table's output (0: tokens${n.positions ? ', 1: positions' : ''}) | ${JSON.stringify(slicing.embedding_dimensions)} |
| \`attention_input_dimensions\` | per layer: width entering the attention block | see file |
| \`attention_output_dimensions\` | per layer: width leaving the attention block | see file |
| \`mlp_input_dimensions\` | per layer: width entering the MLP | see file |
| \`mlp_output_dimensions\` | per layer: width leaving the MLP (the next layer's input) | see file |
| \`head_dimension\` | width entering the LM head | ${slicing.head_dimension} |
| \`const_dimension\` | the constant sliced width d of the schedule | ${slicing.const_dimension} |

\`slice_studio.json\` records how the slice was made (source, ratio, calibration, per-signal statistics).

## Loading it

**Slice Studio** opens this folder wherever it takes a model (it recognizes \`slicing_config.json\`):
\`slice-studio export <this folder> --format onnx --out <folder>\` writes an ONNX decoder with a KV cache
that plain onnxruntime and onnxruntime-genai load; the app's perplexity, generation and evaluation run on
the folder directly.

**microsoft/TransformerCompression** loads a sliced model with
\`slicegpt.hf_utils.load_sliced_model(model_name, sliced_model_path)\`, which reads a torch state dict
\`<path>.pt\` and its SlicingConfig from \`<path>.json\` next to it, building the model from the original
\`config.json\`. To hand this folder to it:

\`\`\`python
import glob, json, shutil, torch
from safetensors.torch import load_file
state = {}
for f in sorted(glob.glob("model-*.safetensors")):
    state.update(load_file(f))${untie}
torch.save(state, "sliced/model.pt")          # tensor names are already the reference's
shutil.copy("slicing_config.json", "sliced/model.json")
shutil.copy("config.json", "sliced/config.json")
# then: load_sliced_model("<hf model name>", "sliced/model.pt")
\`\`\`

(Slice Studio ships no Python and has not run this conversion itself: tensor names, shapes and the
config follow the reference's, whose loader checks the state dict strictly.)

**Plain Hugging Face transformers cannot load this folder.** \`config.json\` still says hidden_size ${D}
(the norms need it) while the tensors are ${d} wide and vary per layer; transformers' ${cfg.architecture} has
no module for the shortcut matrices between blocks, and its norms carry weights and divide by the input
width. Loading fails on shape mismatches; forcing it would give a broken model. Use an ONNX export (or,
for llama models sliced with \`--rotation uniform\`, a GGUF export) to run it outside Slice Studio.
`;
}
