// Shared by the device-engine slice tests (weight-batches, float32-q, lazy-half-slice): a whole rotateAndSlice of a
// shared tiny model on the device engine, run on the CPU EP through the GPU code path (`resident: 'always'`), at
// 25 %, calibrated on 4 deterministic random windows of 64 tokens in batches of 2 — and every matrix of a sliced
// layer, to compare two slices by.
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import { deviceEngine } from '../../core/slicegpt/engine';
import { rotateAndSlice, type RotationProvider, type SlicedSink } from '../../core/slicegpt/rotate-and-slice';
import { makeSchedule } from '../../core/slicegpt/schedule';
import { quietContext } from '../../core/base/job-context';
import type { ModelSource } from '../../core/model/model-source';
import type { LayerWeights, Matrix } from '../../core/model/weights';
import { modelPath, tokenWindows } from './helpers';

export interface DeviceSlice {
  /** A shared model's name (tiny-llama, tiny-opt, …). */
  model: string;
  /** The passes' type (createBlockRunner's passDtype). */
  passDtype: 'f32' | 'f16';
  /** The seed of the calibration windows (tokenWindows). */
  seed: number;
  /** deviceEngine's options (its budget is 1 GiB). */
  engine?: Parameters<typeof deviceEngine>[2];
  /** Where the slice goes, made once the model is open (a writer needs its config). */
  sink: (src: ModelSource) => SlicedSink;
  scratch: string;
  rotations?: RotationProvider;
  /** Called after each layer's endLayer. */
  afterLayer?: () => void;
}

/** Slices `o.model` on the device engine into `o.sink`; the runner is disposed of after. */
export async function sliceOnDevice(o: DeviceSlice): Promise<void> {
  const src = await openModel(modelPath(o.model));
  const cfg = src.config;
  const ids = new Int32Array(4 * 64);
  tokenWindows(cfg.vocabSize, 4, 64, o.seed).forEach((w, i) => ids.set(w, i * 64));
  const runner = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', passDtype: o.passDtype });
  const engine = deviceEngine(runner, 2 ** 30, o.engine);
  const afterLayer = o.afterLayer;
  try {
    await rotateAndSlice(quietContext(), {
      source: src,
      runner,
      calibration: { ids, nsamples: 4, seqlen: 64 },
      schedule: makeSchedule({ hiddenSize: cfg.hiddenSize, layers: cfg.numLayers, parallelBlocks: cfg.parallelBlocks, ratio: 0.25 }),
      sink: o.sink(src),
      batchSize: 2,
      scratch: o.scratch,
      ramBudgetBytes: 2 ** 30,
      rotations: o.rotations,
      engine: afterLayer
        ? {
            ...engine,
            endLayer: async () => {
              await engine.endLayer();
              afterLayer();
            },
          }
        : engine,
    });
  } finally {
    await runner.dispose();
  }
}

/** Every matrix of a sliced layer: the linears' weights and the shortcuts. */
export function matrices(w: LayerWeights): Matrix[] {
  const [attn, mlp] = w.kind === 'parallel' ? [w.block.attn, w.block.mlp] : [w.attn, w.mlp];
  const shortcuts = w.kind === 'parallel' ? [w.block.shortcut] : [w.attn.shortcut, w.mlp.shortcut];
  return [attn.q, attn.k, attn.v, attn.o, mlp.gate, mlp.up, mlp.down].flatMap((l) => (l ? [l.weight] : [])).concat(shortcuts.flatMap((s) => (s ? [s] : [])));
}
