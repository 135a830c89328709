// Training checkpoints: everything a killed run needs to continue to the same bits — the adapters, the
// optimizer moments and step count, the loss curve, and the settings they belong to (the data order is a
// pure function of seed and step: data.ts). Each checkpoint is a folder `<out>/.recover/ckpt-<step>`
// written as `ckpt-<step>.tmp-<pid>` and renamed when complete, so a kill leaves either the previous
// checkpoint or the new one, never a mix; older ones are removed after the rename.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensorsHeader, toFloat32 } from '../model/safetensors';
import { writeSafetensors } from '../model/safetensors-writer';
import type { LoraAdapter } from './lora';
import type { AdamWState } from './adamw';
import type { TrainEngine } from './engine-choice';

export interface LossPoint {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

export interface CheckpointState {
  /** Optimizer steps completed. */
  step: number;
  /** The training settings, as JSON: a checkpoint resumes only the run it belongs to. */
  settings: string;
  curve: LossPoint[];
  seconds: number;
  /** The step that trained it (absent in checkpoints written before it was recorded): a resume continues on
   * it, since the two engines agree only to ~1e-6 and a resumed run must end where an uninterrupted one does. */
  engine?: TrainEngine;
}

/** Resuming a run whose settings differ, or a damaged checkpoint (one line). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export const checkpointRoot = (out: string): string => join(out, '.recover');

function complete(out: string): { step: number; dir: string }[] {
  const root = checkpointRoot(out);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((f) => /^ckpt-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: join(root, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

export async function saveCheckpoint(out: string, adapters: LoraAdapter[], opt: AdamWState, state: CheckpointState): Promise<void> {
  const root = checkpointRoot(out);
  mkdirSync(root, { recursive: true });
  for (const f of readdirSync(root)) if (/\.tmp-\d+$/.test(f)) rmSync(join(root, f), { recursive: true, force: true });
  const tmp = join(root, `ckpt-${state.step}.tmp-${process.pid}`);
  mkdirSync(tmp);
  const t = (name: string, shape: number[], data: Float32Array) => ({ name, dtype: 'F32' as const, shape, data });
  await writeSafetensors(
    join(tmp, 'adapters.safetensors'),
    adapters.flatMap((a) => [t(`${a.key}.lora_A.weight`, [a.A.length / a.inF, a.inF], a.A), t(`${a.key}.lora_B.weight`, [a.outF, a.B.length / a.outF], a.B)]),
  );
  await writeSafetensors(
    join(tmp, 'optimizer.safetensors'),
    opt.m.flatMap((m, k) => [t(`m.${k}`, [m.length], m), t(`v.${k}`, [m.length], opt.v[k])]),
  );
  await writeFile(join(tmp, 'state.json'), JSON.stringify({ ...state, optimizerSteps: opt.t }));
  const dir = join(root, `ckpt-${state.step}`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  for (const c of complete(out)) if (c.step !== state.step) rmSync(c.dir, { recursive: true, force: true });
}

async function tensors(file: string): Promise<Map<string, Float32Array>> {
  const bytes = new Uint8Array(await readFile(file));
  const out = new Map<string, Float32Array>();
  for (const t of (await readSafetensorsHeader(file)).tensors) out.set(t.name, toFloat32(bytes.subarray(t.offset, t.offset + t.byteLength), t.dtype));
  return out;
}

/**
 * Loads the newest complete checkpoint into `adapters` and `opt` (in place) and returns its state, or
 * null when there is none. Throws CheckpointError when it belongs to other settings.
 */
export async function loadCheckpoint(out: string, settings: string, adapters: LoraAdapter[], opt: AdamWState): Promise<CheckpointState | null> {
  const last = complete(out).at(-1);
  if (!last) return null;
  const state = JSON.parse(await readFile(join(last.dir, 'state.json'), 'utf8')) as CheckpointState & { optimizerSteps: number };
  if (state.settings !== settings) throw new CheckpointError(`the checkpoint in ${checkpointRoot(out)} was made with other settings (${state.settings}): use the same settings, or another --out`);
  const ad = await tensors(join(last.dir, 'adapters.safetensors'));
  const op = await tensors(join(last.dir, 'optimizer.safetensors'));
  const take = (m: Map<string, Float32Array>, name: string, into: Float32Array) => {
    const v = m.get(name);
    if (!v || v.length !== into.length) throw new CheckpointError(`checkpoint ${last.dir} lacks ${name} or has another shape`);
    into.set(v);
  };
  for (const a of adapters) {
    take(ad, `${a.key}.lora_A.weight`, a.A);
    take(ad, `${a.key}.lora_B.weight`, a.B);
  }
  opt.m.forEach((m, k) => {
    take(op, `m.${k}`, m);
    take(op, `v.${k}`, opt.v[k]);
  });
  opt.t = state.optimizerSteps;
  return { step: state.step, settings: state.settings, curve: state.curve, seconds: state.seconds, ...(state.engine ? { engine: state.engine } : {}) };
}

/** The engine recorded in the newest complete checkpoint in `out` when it belongs to `settings` (null: none,
 * another run's — loadCheckpoint refuses that —, or one written before engines were recorded). */
export async function checkpointEngine(out: string, settings: string): Promise<TrainEngine | null> {
  const last = complete(out).at(-1);
  if (!last) return null;
  try {
    const state = JSON.parse(await readFile(join(last.dir, 'state.json'), 'utf8')) as { engine?: unknown; settings?: unknown };
    return state.settings === settings && (state.engine === 'whole' || state.engine === 'streamed') ? state.engine : null;
  } catch {
    // A damaged state.json is loadCheckpoint's to report, in its own words.
    return null;
  }
}

export function removeCheckpoints(out: string): void {
  rmSync(checkpointRoot(out), { recursive: true, force: true });
}

/** The step of the newest complete checkpoint in `out`, or null (what a resumed run would continue from). */
export function latestCheckpointStep(out: string): number | null {
  return complete(out).at(-1)?.step ?? null;
}
