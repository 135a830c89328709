// The planner's arithmetic in words and numbers, one line per step, for a hobbyist to follow (and to
// check against a calculator). Built from an Estimate, so the lines show exactly what was computed.
import type { ModelConfig } from '../model/config';
import { DTYPE_LAYOUT, bitsPerWeight, type Dtype } from './formats';
import { GPU_RUNTIME_BYTES, CPU_RUNTIME_BYTES, kvElementBytes, type StoredType } from './memory';
import { formatBytes, type PlanHardware } from './hardware';
import type { Estimate } from './estimate-types';
import { keptWidth } from './params';

const n = (x: number): string => x.toLocaleString('en-US');
const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
const dtypeWords = (t: Dtype): string => {
  const { block, bytes } = DTYPE_LAYOUT[t];
  return block === 1 ? `${t} (${bytes} bytes per weight)` : `${t} (${bytes} bytes per ${block} weights = ${bitsPerWeight(t)} bits)`;
};

/** A matrix's stored type, and why it is not the format's nominal one for its role. */
const storedWords = (s: StoredType): string =>
  s.why === null
    ? s.type
    : s.why === 'tied-head'
      ? `${s.type} (not ${s.nominal}: the tied head is token_embd, which llama.cpp types as the output)`
      : s.ne0 === 32 && s.type === 'f16'
        ? `${s.type} (not ${s.nominal}: rows of 32 are one block, which llama.cpp's AMX kernels multiply wrongly)`
        : `${s.type} (not ${s.nominal}: rows of ${s.ne0} do not fill its blocks)`;

export function explainEstimate(c: ModelConfig, hw: PlanHardware, e: Estimate): string[] {
  const o = e.options;
  const f = o.format;
  const D = c.hiddenSize;
  const lines: string[] = [];
  lines.push(`Model: ${c.architecture}, ${c.numLayers} layers, hidden size D = ${D}, ${c.numHeads} heads (${c.numKvHeads} KV heads) of ${c.headDim}, MLP width ${c.intermediateSize}, vocabulary ${c.vocabSize}.`);
  lines.push(`Dense model: ${n(e.denseParams)} parameters${c.tieWordEmbeddings ? ' (the head shares the embedding matrix, counted once)' : ''}.`);
  if (e.sliced) {
    const { kept } = keptWidth(D, e.ratio, o.round);
    lines.push(
      `Slicing ${pct(e.ratio)} keeps floor((1 − ${e.ratio}) × ${D}) = ${kept} dimensions, rounded down to a multiple of ${o.round}${o.round === f.round && o.round > 8 ? ` (${f.label} stores rows in blocks of ${o.round})` : ''}: d = ${e.d}.`,
    );
    const first = e.params.perLayer[0];
    const sc = e.params.shortcuts;
    if (o.rotation === 'uniform') {
      lines.push(`Uniform rotation: one rotation for the whole residual stream, so no shortcut matrices and the head is sliced too; each layer has ${n(first)} parameters.`);
    } else {
      const per = c.parallelBlocks ? 'one d×d shortcut per layer (attention and MLP run in parallel)' : 'two d×d shortcuts per layer (around attention and around the MLP)';
      const lastNote = o.sliceHead ? '' : `; the last layer writes D = ${D} for the unsliced head, so its last shortcut is d×D`;
      lines.push(`Each layer: q/k/v read d = ${e.d} (the heads keep their size), o writes d, the MLP reads d and writes d, plus ${per}: ${n(first)} parameters, ${n(e.d * e.d)} of them per d×d shortcut${lastNote}.`);
      lines.push(`Shortcut matrices in all: ${n(sc)} parameters (${pct(sc / e.params.total)} of the slice).`);
    }
    lines.push(`Head: V × ${o.sliceHead ? 'd' : 'D'} = ${c.vocabSize} × ${o.sliceHead ? e.d : D}${o.sliceHead ? '' : ' (unsliced)'}.`);
    lines.push(`Sliced model: ${n(e.params.total)} parameters = ${pct(e.params.total / e.denseParams)} of dense.`);
  }
  lines.push(
    `Weights in ${f.label}: linears ${dtypeWords(f.linear)}` +
      (e.sliced && o.rotation === 'per-layer' ? `, shortcuts ${f.shortcut}` : '') +
      `, embedding ${storedWords(e.weights.types.embedding)}, head ${e.weights.types.head === 'shared' ? 'token_embd itself (no output.weight)' : storedWords(e.weights.types.head)}, norms and biases ${f.vector} → ${formatBytes(e.weights.total)}` +
      ` (embedding ${formatBytes(e.weights.embedding)}, layers ${formatBytes(e.weights.layers.reduce((a, b) => a + b, 0))}` +
      (e.sliced && o.rotation === 'per-layer' ? `, shortcuts ${formatBytes(e.weights.shortcuts.reduce((a, b) => a + b, 0))}` : '') +
      `, head ${formatBytes(e.weights.head + e.weights.tiedHeadCopy)}).`,
  );
  lines.push(
    `KV cache: 2 (K and V) × ${c.numLayers} layers × ${c.numKvHeads} KV heads × ${c.headDim} × ${o.ctx} tokens × batch ${o.batch} × ${kvElementBytes(o.kvDtype)} bytes = ${formatBytes(e.kvCacheBytes)}` +
      (e.sliced ? ' (slicing does not shrink it: the heads are unchanged).' : '.'),
  );
  const onCpu = hw.gpus.length === 0;
  lines.push(
    `Runtime: ${formatBytes(onCpu ? CPU_RUNTIME_BYTES : GPU_RUNTIME_BYTES)} per ${onCpu ? 'process' : 'GPU for the CUDA/Vulkan context'}, ` +
      `${formatBytes(e.work.perDevice)} of activations per ${onCpu ? 'process' : 'GPU'} for ${e.work.chunk}-token prompt chunks (one layer's attention scores included), ` +
      `${formatBytes(e.work.logits)} of logits beside the head.`,
  );
  for (const u of e.devices) {
    if (u.usedBytes === 0) {
      lines.push(`${u.device}: unused (${formatBytes(u.capacityBytes)} free).`);
      continue;
    }
    const held = [u.holdsEmbedding ? 'embedding' : '', u.layers ? `layers ${u.layers[0]}–${u.layers[1]}` : '', u.holdsHead ? 'head' : ''].filter(Boolean).join(' + ');
    const verdict = u.fits ? `fits, ${formatBytes(u.capacityBytes - u.usedBytes)} to spare` : `over by ${formatBytes(u.usedBytes - u.capacityBytes)}`;
    lines.push(`${u.device}: ${held} → ${formatBytes(u.usedBytes)} of ${formatBytes(u.capacityBytes)} free: ${verdict}.`);
  }
  lines.push(`In all: ${formatBytes(e.totalBytes)} against ${formatBytes(e.capacityBytes)} free — ${e.fits ? 'it fits' : 'it does not fit'}.`);
  const r = e.slicingRam;
  lines.push(
    `Slicing job RAM: max(two layers in float32 ${formatBytes(r.layerWeights)}${r.halfWeights ? ` + their float16 forms for the GPU ${formatBytes(r.halfWeights)}` : ''}, embedding in float32 ${formatBytes(r.embeddingWeights)}) + calibration activations ` +
      `${r.nsamples} samples × ${r.seqlen} tokens × ${D} × 4 bytes × 2 = ${formatBytes(r.activations)} + PCA 3 × ${D}×${D} float64 = ${formatBytes(r.pca + r.eigenWorkspace)} ` +
      `+ ${formatBytes(r.runtime)} runtime ≈ ${formatBytes(r.total)}` +
      (hw.ramFreeBytes > 0 ? ` (${formatBytes(hw.ramFreeBytes)} free).` : '.'),
  );
  if (e.sliced && o.rotation === 'per-layer' && f.runtime.startsWith('GGUF')) {
    lines.push(`Note: llama.cpp has no place for shortcut matrices; a GGUF export uses uniform rotation (plan with rotation 'uniform' to size that file).`);
  }
  return lines;
}
