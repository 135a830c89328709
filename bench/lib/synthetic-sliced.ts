// A sliced model's shapes with random weights, made block by block when asked (never all held): the
// 7B-shape layer stack for the training benchmark (bench/recover-step.ts --synthetic) on machines with
// no sliced 7B folder. Every block reads and writes width d = D·(1 − ratio) rounded to 8 (the head too,
// as a slice with --slice-head), with the two d × d shortcut matrices per layer a per-layer slice has;
// norms are weightless RMSNorms over D, as after fusion. Values: uniform, ±1/√in (a fast LCG: the step's
// cost does not depend on them), seeded per tensor.
import { parseConfig, type ModelConfig } from '../../core/model/config';
import { archSpec } from '../../core/model/arch-spec';
import type { Linear, Matrix, NormSpec } from '../../core/model/weights';
import type { StreamedModel } from '../../core/recover/streamed-step';

function matrix(rows: number, cols: number, seed: number): Matrix {
  const data = new Float32Array(rows * cols);
  const bound = 1 / Math.sqrt(cols);
  const k = (2 * bound) / 4294967296;
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s * k - bound;
  }
  return { rows, cols, data };
}

export function syntheticSliced(raw: Record<string, unknown>, layers: number, ratio: number): StreamedModel & { config: ModelConfig; width: number } {
  const config = parseConfig({ ...raw, num_hidden_layers: layers });
  const D = config.hiddenSize;
  const d = Math.round((D * (1 - ratio)) / 8) * 8;
  const F = config.intermediateSize;
  const q = config.numHeads * config.headDim;
  const kv = config.numKvHeads * config.headDim;
  const norm: NormSpec = { kind: 'rmsnorm', eps: config.normEps, divisor: D };
  const lin = (out: number, inF: number, seed: number): Linear => ({ weight: matrix(out, inF, seed) });
  return {
    config,
    width: d,
    arch: archSpec(config),
    numLayers: layers,
    embedding: { tokens: matrix(config.vocabSize, d, 1) },
    head: { norm, lm: lin(config.vocabSize, d, 2) },
    layer: async (i) => {
      const s = 100 * (i + 1);
      return {
        kind: 'sequential',
        attn: { norm, q: lin(q, d, s), k: lin(kv, d, s + 1), v: lin(kv, d, s + 2), o: lin(d, q, s + 3), shortcut: matrix(d, d, s + 4) },
        mlp: { norm, gate: lin(F, d, s + 5), up: lin(F, d, s + 6), down: lin(d, F, s + 7), shortcut: matrix(d, d, s + 8) },
      };
    },
  };
}
