// One forward + backward of the training graph in an ORT session: the loss and every adapter's
// gradients for one micro-batch. The graph is built once per (batch, seq) and reused for every step.
import ort from 'onnxruntime-node';
import { adapterInput, buildTrainGraph, gradName, type ModelWeights } from './train-graph';
import { dropoutInput, type MaskSource } from './dropout';
import type { LoraAdapter } from './lora';
import type { MicroBatch } from './data';

export interface StepGradients {
  loss: number;
  /** Per adapter (same order): dL/dA, dL/dB. */
  grads: { A: Float32Array; B: Float32Array }[];
}

export class TrainStep {
  readonly #session: ort.InferenceSession;
  readonly #batch: number;
  readonly #seq: number;

  private constructor(session: ort.InferenceSession, batch: number, seq: number) {
    this.#session = session;
    this.#batch = batch;
    this.#seq = seq;
  }

  static async create(m: ModelWeights, adapters: LoraAdapter[], o: { batch: number; seq: number; scale: number; dropout?: boolean }): Promise<TrainStep> {
    const bytes = buildTrainGraph(m, adapters, { ...o, dtype: 'float32' });
    // Sequential execution: the result must not depend on thread scheduling (a resumed run has to end
    // byte for byte where an uninterrupted one does).
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], executionMode: 'sequential' });
    return new TrainStep(session, o.batch, o.seq);
  }

  /** `masks`: each adapter's dropout mask (dropout.ts); required when the step was built with dropout. The
   * one graph reads every block's masks in one run, so all of them are drawn here. */
  async run(mb: MicroBatch, adapters: LoraAdapter[], masks?: MaskSource): Promise<StepGradients> {
    const B = this.#batch;
    const S = this.#seq;
    const feeds: Record<string, ort.Tensor> = {
      ids: new ort.Tensor('int32', mb.ids, [B, S]),
      targets: new ort.Tensor('int32', mb.targets, [B * S]),
      weights: new ort.Tensor('float32', mb.weights, [B * S]),
    };
    for (const a of adapters) {
      feeds[adapterInput(a, 'A')] = new ort.Tensor('float32', a.A, [a.A.length / a.inF, a.inF]);
      feeds[adapterInput(a, 'B')] = new ort.Tensor('float32', a.B, [a.outF, a.B.length / a.outF]);
    }
    if (masks) for (const a of adapters) feeds[dropoutInput(a)] = new ort.Tensor('float32', masks(a), [B * S, a.inF]);
    const out = await this.#session.run(feeds);
    return {
      loss: (out.loss.data as Float32Array)[0],
      grads: adapters.map((a) => ({ A: out[gradName(a, 'A')].data as Float32Array, B: out[gradName(a, 'B')].data as Float32Array })),
    };
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}
