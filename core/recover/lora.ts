// LoRA adapters on a sliced model's linears (Hu et al. 2021, PEFT's layout): for a frozen W (out × in),
// y = x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ with A: r × in, B: out × r. A starts as PEFT's kaiming_uniform(a=√5)
// (uniform in ±1/√in), B at zero, so training starts from the sliced model exactly.
import type { LayerWeights, Linear } from '../model/weights';
import type { TensorNames } from '../slicegpt/sliced-source';
import { mulberry32 } from '../data/prng';

export const LORA_ROLES = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LoraRole = (typeof LORA_ROLES)[number];

export interface LoraSettings {
  rank: number;
  alpha: number;
  /** Which linears get adapters (default: all of them). */
  roles?: readonly LoraRole[];
  /** lora_dropout during training (dropout.ts); recorded in the adapter's config. */
  dropout?: number;
}

export interface LoraAdapter {
  /** The linear's Hugging Face prefix, e.g. model.layers.0.self_attn.q_proj (PEFT names hang off it). */
  key: string;
  layer: number;
  role: LoraRole;
  inF: number;
  outF: number;
  /** r × in, row-major. */
  A: Float32Array;
  /** out × r, row-major. */
  B: Float32Array;
}

/** Settings that cannot train this model (one line for the user). */
export class LoraSettingsError extends Error {
  override name = 'LoraSettingsError';
}

export const loraScale = (s: LoraSettings): number => s.alpha / s.rank;

/** The linears of a layer by role (sequential or parallel block alike). */
export function linearsOf(w: LayerWeights): Partial<Record<LoraRole, Linear>> {
  const attn = w.kind === 'parallel' ? w.block.attn : w.attn;
  const mlp = w.kind === 'parallel' ? w.block.mlp : w.mlp;
  return { q: attn.q, k: attn.k, v: attn.v, o: attn.o, gate: mlp.gate, up: mlp.up, down: mlp.down };
}

/** A layer's adapted linears by role, as (out rows × in cols): all adapters need of a block. */
export type LinearShapes = Partial<Record<LoraRole, { rows: number; cols: number }>>;

export function linearShapes(w: LayerWeights): LinearShapes {
  const out: LinearShapes = {};
  for (const [role, l] of Object.entries(linearsOf(w))) if (l) out[role as LoraRole] = { rows: l.weight.rows, cols: l.weight.cols };
  return out;
}

export function checkLoraSettings(s: LoraSettings, layers: LinearShapes[]): void {
  if (!Number.isInteger(s.rank) || s.rank < 1) throw new LoraSettingsError(`rank must be a positive integer, got ${s.rank}`);
  if (!(Number.isFinite(s.alpha) && s.alpha > 0)) throw new LoraSettingsError(`alpha must be a positive number, got ${s.alpha}`);
  layers.forEach((w, i) => {
    for (const [role, l] of Object.entries(w)) {
      if (!l || !(s.roles ?? LORA_ROLES).includes(role as LoraRole)) continue;
      const width = Math.min(l.rows, l.cols);
      if (s.rank > width) throw new LoraSettingsError(`rank ${s.rank} is larger than layer ${i}'s ${role} width (${l.cols} in × ${l.rows} out): use a rank ≤ ${width}`);
    }
  });
}

/** Fresh adapters for every targeted linear, seeded. */
export function initAdapters(layers: LayerWeights[], s: LoraSettings, names: TensorNames, seed: number): LoraAdapter[] {
  return initAdaptersFromShapes(layers.map(linearShapes), s, names, seed);
}

/** The same adapters from the linears' shapes alone (a streamed model reads each block once to size them). */
export function initAdaptersFromShapes(layers: LinearShapes[], s: LoraSettings, names: TensorNames, seed: number): LoraAdapter[] {
  checkLoraSettings(s, layers);
  const rng = mulberry32(seed);
  const roleName: Record<LoraRole, string | undefined> = { q: names.q, k: names.k, v: names.v, o: names.o, gate: names.gate, up: names.up, down: names.down };
  const out: LoraAdapter[] = [];
  layers.forEach((w, layer) => {
    for (const role of s.roles ?? LORA_ROLES) {
      const l = w[role];
      if (!l) continue;
      const inF = l.cols;
      const outF = l.rows;
      const bound = 1 / Math.sqrt(inF);
      const A = Float32Array.from({ length: s.rank * inF }, () => (rng() * 2 - 1) * bound);
      out.push({ key: `${names.layer(layer)}.${roleName[role]}`, layer, role, inF, outF, A, B: new Float32Array(outF * s.rank) });
    }
  });
  return out;
}
