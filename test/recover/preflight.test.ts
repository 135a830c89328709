// The recover job's memory preflight (core/recover/preflight.ts on the memory model, memory.ts): which step
// it picks for a slice and a machine, and the one-line refusals — on LLaMA-2-7B's published config sliced
// 25 % (d = 3072 in every block, head unsliced), the case the streamed step exists for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../core/model/config';
import { planRecover, RecoverMemoryError } from '../../core/recover/preflight';
import { chooseEngine } from '../../core/recover/engine-choice';
import { trainMemory, trainShape } from '../../core/recover/memory';
import { parseSlicingConfig } from '../../core/slicegpt/slicing-config';
import { sharedData } from '../shared';

const GiB = 2 ** 30;
const config = parseConfig(JSON.parse(readFileSync(sharedData('configs', 'llama-2-7b-hf.json'), 'utf8')) as Record<string, unknown>);
const each = (v: number) => Object.fromEntries(Array.from({ length: 32 }, (_, i) => [String(i), v]));
const slicing = {
  hidden_size: 4096,
  layers_num: 32,
  do_slice_head: false,
  parallel_blocks: false,
  embedding_dimensions: { 0: 3072 },
  attention_input_dimensions: each(3072),
  attention_output_dimensions: each(3072),
  mlp_input_dimensions: each(3072),
  mlp_output_dimensions: { ...each(3072), 31: 4096 },
  head_dimension: null,
  const_dimension: 3072,
};
const slice7b = { config, slicing, tiedEmbedding: false };
const settings = { batch: 1, seq: 2048, rank: 32, storedBytes: 2 };

test('a 7B slice on a 24 GiB machine trains layer-streamed (the one-graph step would need more than half the RAM), in under half of it', () => {
  const p = planRecover(slice7b, { ...settings, ep: 'cpu' }, 24 * GiB);
  assert.equal(p.engine, 'streamed');
  assert.ok(p.memory.whole.host > 12 * GiB, `one graph ${p.memory.whole.host / GiB} GiB`);
  assert.ok(p.hostBytes < 12 * GiB && p.hostBytes > 2 * GiB, `streamed ${p.hostBytes / GiB} GiB`);
  // The adapters: r · (in + out) over the seven linears of 32 blocks.
  assert.equal(p.memory.adapterParams, 32 * 32 * (4 * (3072 + 4096) + 2 * (3072 + 11008) + (11008 + 3072)));
});

test('a tiny slice trains as one graph where it fits comfortably; --engine overrides the choice', () => {
  const tiny = {
    ...slice7b,
    config: { ...config, numLayers: 2, vocabSize: 512, hiddenSize: 64, intermediateSize: 128, numHeads: 4, numKvHeads: 4, headDim: 16 },
    slicing: {
      ...slicing,
      hidden_size: 64,
      layers_num: 2,
      embedding_dimensions: { 0: 48 },
      attention_input_dimensions: { 0: 48, 1: 48 },
      attention_output_dimensions: { 0: 48, 1: 48 },
      mlp_input_dimensions: { 0: 48, 1: 48 },
      mlp_output_dimensions: { 0: 48, 1: 64 },
      const_dimension: 48,
    },
  };
  assert.equal(planRecover(tiny, { ...settings, seq: 64, ep: 'cpu' }, 24 * GiB).engine, 'whole');
  assert.equal(planRecover(tiny, { ...settings, seq: 64, ep: 'cpu', engine: 'streamed' }, 24 * GiB).engine, 'streamed');
  assert.equal(planRecover(tiny, { ...settings, seq: 64, ep: 'webgpu' }, 24 * GiB).engine, 'streamed');
});

test('refusals are one line with what training needs and what is there: RAM, GPU memory, the one-graph step on a GPU', () => {
  const oneLine = (re: RegExp) => (e: Error) => e instanceof RecoverMemoryError && !e.message.includes('\n') && re.test(e.message);
  assert.throws(() => planRecover(slice7b, { ...settings, ep: 'cpu' }, 2 * GiB), oneLine(/layer-streamed step needs about [\d.]+ GiB of RAM and 2\.00 GiB is available \(a smaller --batch or --seqlen/));
  assert.throws(() => planRecover(slice7b, { ...settings, batch: 8, ep: 'webgpu', vramBytes: 4 * GiB }, 64 * GiB), oneLine(/needs about [\d.]+ GiB and the GPU has 4\.00 GiB/));
  assert.doesNotThrow(() => planRecover(slice7b, { ...settings, ep: 'webgpu', vramBytes: 16 * GiB }, 64 * GiB));
  assert.throws(() => planRecover(slice7b, { ...settings, ep: 'webgpu', engine: 'whole' }, 64 * GiB), oneLine(/runs on the CPU only/));
});

test('the memory model grows as it should: checkpoints with layers × tokens, attention with B·S², adapters with the rank only', () => {
  const shape = trainShape(config, parseSlicingConfig(slicing), 2, false);
  const m = (o: Partial<{ batch: number; seq: number; rank: number }>) => trainMemory(shape, { batch: 1, seq: 1024, rank: 32, ...o });
  const base = m({});
  assert.equal(m({ batch: 2 }).checkpoints, 2 * base.checkpoints);
  assert.equal(m({ rank: 64 }).adapters, 2 * base.adapters);
  assert.equal(m({ rank: 64 }).checkpoints, base.checkpoints);
  assert.ok(m({ seq: 2048 }).blockInternals > 2 * base.blockInternals, 'attention scores are quadratic in the sequence');
});

test('dropout masks are counted: one [B·S, in] float32 mask per adapter — all layers for the one-graph step, a block at a time (two live) for the streamed step, one block on the device', () => {
  const shape = trainShape(config, parseSlicingConfig(slicing), 2, false);
  const o = { batch: 1, seq: 1024, rank: 32 };
  const off = trainMemory(shape, o);
  const on = trainMemory(shape, { ...o, dropout: true });
  // q, k, v, gate, up read d = 3072; o reads 4096 (heads × head dim); down reads 11008.
  const perBlock = 1024 * (5 * 3072 + 4096 + 11008) * 4;
  assert.deepEqual(off.masks, { whole: 0, streamed: 0 });
  assert.deepEqual(on.masks, { whole: 32 * perBlock, streamed: 2 * perBlock });
  // 7B 25 %, 1 × 1024: 3.7 GiB of masks when drawn for every layer, 0.23 GiB a block at a time.
  assert.equal(on.streamed.host - off.streamed.host, 2 * perBlock);
  assert.equal(on.streamed.hostWithGpu - off.streamed.hostWithGpu, 2 * perBlock);
  assert.equal(on.whole.host - off.whole.host, 32 * perBlock);
  assert.ok(on.streamed.device - off.streamed.device <= perBlock);
});

test('the wizard decides as the job does: chooseEngine on the memory model picks the same step and refuses in the same words', () => {
  const memory = trainMemory(trainShape(config, parseSlicingConfig(slicing), 2, false), settings);
  assert.deepEqual(chooseEngine(memory, { ...settings, ep: 'cpu', ramBytes: 24 * GiB }), planRecover(slice7b, { ...settings, ep: 'cpu' }, 24 * GiB));
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  };
  const words = refusal(() => chooseEngine(memory, { ...settings, ep: 'cpu', ramBytes: 2 * GiB }));
  assert.match(words ?? '', /^not enough memory to train: the layer-streamed step needs about/);
  assert.equal(
    words,
    refusal(() => planRecover(slice7b, { ...settings, ep: 'cpu' }, 2 * GiB)),
  );
  // The wizard names its own field instead of the CLI's flags.
  assert.match(refusal(() => chooseEngine(memory, { ...settings, ep: 'cpu', ramBytes: 2 * GiB, lower: 'sequence length' })) ?? '', /is available \(a smaller sequence length needs less; 1 × 2048 tokens per micro-batch now\)$/);
});
