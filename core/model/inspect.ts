// Inspect a Hugging Face model folder (config.json + safetensors headers; weights are never read) or a bare
// config.json (plan a model that is not downloaded). Every bad input becomes an InspectError whose message
// is one line a user can act on; callers print `e.message`, never a stack.
import { findNonFiniteTensor } from './non-finite';
import { access, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { notAModel } from './not-a-model';
import { basename, join } from 'node:path';
import { parseConfig, detectFamily, ConfigError, type ModelConfig } from './config';
import { listModelTensors, SafetensorsError, DTYPE_BYTES, type StDtype } from './safetensors';
import { countParameters } from './param-count';
import { archSpec } from './arch-spec';
import { LIMITS, readJsonObject } from './input-file';

export class InspectError extends Error {
  override name = 'InspectError';
}
/** The model parsed but its architecture (or a variant of it) is one Slice Studio cannot slice. */
export class UnsupportedModelError extends InspectError {
  override name = 'UnsupportedModelError';
}

/** What the UI shows of a config: ModelConfig's plain fields (no raw config, no token ids). */
export type ConfigSummary = Pick<
  ModelConfig,
  'modelType' | 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'vocabSize' | 'maxPositions' | 'tieWordEmbeddings' | 'norm' | 'activation' | 'gatedMlp' | 'parallelBlocks' | 'dtype'
> & { rope: { theta: number; rotaryDim: number; type: string } | null };

export type TokenizerKind = 'tokenizer.json' | 'vocab+merges' | 'sentencepiece' | null;

export interface ModelInspection {
  path: string;
  kind: 'folder' | 'config';
  name: string;
  family: string;
  architecture: string;
  supported: boolean;
  unsupportedReason?: string;
  /** null only for an unsupported folder inspected with `allowUnsupported`. */
  config: ConfigSummary | null;
  /** Exact for folders (from headers, tied head counted once); from the config formula otherwise. */
  parameterCount: number;
  parameterSource: 'safetensors' | 'config';
  /** Parameters per stored dtype ("F16": 5048576). For a bare config: the config's dtype, if given. */
  dtypes: Record<string, number>;
  /** Bytes the weights take (folders: as stored; configs: at the config's dtype, 0 if it names none). */
  weightBytes: number;
  /** All top-level files of a folder; the config file's size for a bare config. */
  bytesOnDisk: number;
  tokenizer: { kind: TokenizerKind; files: string[] };
  files: { name: string; bytes: number }[];
  /** Non-fatal findings, e.g. the weights disagree with the config. */
  warnings: string[];
}

export interface InspectOptions {
  /** Return an inspection with `supported: false` for folders of other architectures instead of throwing. */
  allowUnsupported?: boolean;
}

/** Folders whose weights take at most this many bytes have every weight checked for NaN/Inf by inspect. */
export const NON_FINITE_SCAN_BYTES = 128 * 2 ** 20;

const CONFIG_DTYPE: Record<string, StDtype> = { float16: 'F16', bfloat16: 'BF16', float32: 'F32', float64: 'F64' };
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'tokenizer.model', 'vocab.json', 'merges.txt', 'special_tokens_map.json', 'added_tokens.json'];

async function readJson(file: string): Promise<Record<string, unknown>> {
  return readJsonObject(file, LIMITS.config, InspectError);
}

function summarize(c: ModelConfig): ConfigSummary {
  return {
    modelType: c.modelType,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
    maxPositions: c.maxPositions,
    tieWordEmbeddings: c.tieWordEmbeddings,
    norm: c.norm,
    activation: c.activation,
    gatedMlp: c.gatedMlp,
    parallelBlocks: c.parallelBlocks,
    rope: c.rope ? { theta: c.rope.theta, rotaryDim: c.rope.rotaryDim, type: c.rope.type } : null,
    dtype: c.dtype,
  };
}

/** Parse the config, turning "not supported" into UnsupportedModelError and other problems into InspectError. */
function configOrReason(raw: Record<string, unknown>): { config: ModelConfig } | { reason: string } {
  try {
    const config = parseConfig(raw);
    // What the runtime cannot run (another RoPE type) is said here, before anyone plans or slices it.
    archSpec(config);
    return { config };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (/unsupported|not supported/i.test(e.message)) return { reason: e.message };
    throw new InspectError(e.message);
  }
}

function tokenizerOf(names: Set<string>): ModelInspection['tokenizer'] {
  const files = TOKENIZER_FILES.filter((f) => names.has(f));
  const kind: TokenizerKind = names.has('tokenizer.json') ? 'tokenizer.json' : names.has('vocab.json') && names.has('merges.txt') ? 'vocab+merges' : names.has('tokenizer.model') ? 'sentencepiece' : null;
  return { kind, files };
}

export async function inspectModel(path: string, opts: InspectOptions = {}): Promise<ModelInspection> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new InspectError(notAModel(path));
  if (st.isDirectory()) return inspectFolder(path, opts);
  if (!/\.json$/i.test(path) || !(await readable(path))) throw new InspectError(notAModel(path));
  return inspectConfigFile(path, st.size);
}

const readable = (file: string): Promise<boolean> =>
  access(file, constants.R_OK).then(
    () => true,
    () => false,
  );

async function inspectConfigFile(path: string, size: number): Promise<ModelInspection> {
  const raw = await readJson(path);
  const r = configOrReason(raw);
  if ('reason' in r) throw new UnsupportedModelError(r.reason);
  const c = r.config;
  const parameterCount = countParameters(c);
  const dt = c.dtype ? CONFIG_DTYPE[c.dtype] : undefined;
  const fileName = basename(path);
  const name = fileName.toLowerCase() === 'config.json' ? (typeof raw._name_or_path === 'string' && raw._name_or_path ? basename(raw._name_or_path) : basename(join(path, '..'))) : fileName.replace(/\.json$/i, '');
  return {
    path,
    kind: 'config',
    name,
    family: c.family,
    architecture: c.architecture,
    supported: true,
    config: summarize(c),
    parameterCount,
    parameterSource: 'config',
    dtypes: dt ? { [dt]: parameterCount } : {},
    weightBytes: dt ? parameterCount * DTYPE_BYTES[dt] : 0,
    bytesOnDisk: size,
    tokenizer: { kind: null, files: [] },
    files: [{ name: fileName, bytes: size }],
    warnings: [],
  };
}

async function inspectFolder(folder: string, opts: InspectOptions): Promise<ModelInspection> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => null);
  if (!entries) throw new InspectError(notAModel(folder));
  const files: { name: string; bytes: number }[] = [];
  for (const e of entries) {
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    // Symlinks count when they lead to a regular file (Hugging Face's cache links every file to a blob).
    const st = await stat(join(folder, e.name)).catch(() => null);
    if (st?.isFile()) files.push({ name: e.name, bytes: st.size });
  }
  files.sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set(files.map((f) => f.name));
  if (!names.has('config.json') || !(await readable(join(folder, 'config.json')))) throw new InspectError(notAModel(folder));
  const raw = await readJson(join(folder, 'config.json'));
  const r = configOrReason(raw);
  if ('reason' in r && !opts.allowUnsupported) throw new UnsupportedModelError(r.reason);
  const config = 'config' in r ? r.config : null;

  let tensors;
  try {
    tensors = await listModelTensors(folder);
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    if (/^no model\.safetensors/.test(e.message) && [...names].some((n) => /\.bin$|\.pt$|\.pth$/.test(n)))
      throw new InspectError(`${basename(folder)} has only PyTorch .bin weights; Slice Studio reads safetensors (convert with transformers' save_pretrained(safe_serialization=True))`);
    throw new InspectError(e.message);
  }
  const tied = config ? config.tieWordEmbeddings : raw.tie_word_embeddings === true;
  const names_ = new Set(tensors.map((t) => t.name));
  const hasEmbed = [...names_].some((n) => /embed_tokens\.weight$|wte\.weight$/.test(n));
  const dtypes: Record<string, number> = {};
  let parameterCount = 0;
  let weightBytes = 0;
  for (const t of tensors) {
    weightBytes += t.byteLength;
    // Buffers are not parameters (old checkpoints saved RoPE's inv_freq), and a tied head is the embedding.
    if (/\.inv_freq$/.test(t.name)) continue;
    if (tied && hasEmbed && t.name === 'lm_head.weight') continue;
    const n = t.shape.reduce((a, d) => a * d, 1);
    parameterCount += n;
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n;
  }
  const warnings: string[] = [];
  if (config) {
    const expected = countParameters(config);
    if (expected !== parameterCount) warnings.push(`weights hold ${parameterCount.toLocaleString('en-US')} parameters but config.json implies ${expected.toLocaleString('en-US')}`);
  }
  // NaN/Inf weights: checked here only while reading every weight is cheap; the jobs check what they compute.
  if (weightBytes <= NON_FINITE_SCAN_BYTES) {
    const bad = await findNonFiniteTensor(folder).catch(() => null);
    if (bad) warnings.push(`tensor ${bad.name} holds ${bad.count} NaN/Inf value${bad.count === 1 ? '' : 's'} of ${bad.size}: every job on this model will fail`);
  }
  let family: string = config?.family ?? '';
  if (!family) {
    try {
      family = detectFamily(raw);
    } catch {
      family = typeof raw.model_type === 'string' ? raw.model_type : 'unknown';
    }
  }
  return {
    path: folder,
    kind: 'folder',
    name: basename(folder),
    family,
    architecture: config?.architecture ?? (Array.isArray(raw.architectures) ? String(raw.architectures[0]) : family),
    supported: config !== null,
    ...('reason' in r ? { unsupportedReason: r.reason } : {}),
    config: config ? summarize(config) : null,
    parameterCount,
    parameterSource: 'safetensors',
    dtypes,
    weightBytes,
    bytesOnDisk: files.reduce((a, f) => a + f.bytes, 0),
    tokenizer: tokenizerOf(names),
    files,
    warnings,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

function bytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const i = n > 0 ? Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1024))) : 0;
  return `${(n / 1024 ** i).toFixed(i ? 1 : 0)} ${u[i]}`;
}

export function formatInspection(i: ModelInspection): string {
  const lines: string[] = [];
  lines.push(`${i.name}  (${i.kind === 'folder' ? 'model folder' : 'config only'}: ${i.path})`);
  lines.push(`Architecture  ${i.architecture} — family ${i.family}, ${i.supported ? 'supported' : `NOT supported: ${i.unsupportedReason}`}`);
  lines.push(`Parameters    ${fmt(i.parameterCount)}${i.parameterSource === 'config' ? ' (from config)' : ''}`);
  const c = i.config;
  if (c) {
    lines.push(`Layers        ${c.numLayers} × hidden ${c.hiddenSize}, MLP ${c.intermediateSize}${c.gatedMlp ? ' (gated)' : ''}, ${c.norm}, ${c.activation}${c.parallelBlocks ? ', parallel attention+MLP' : ''}`);
    lines.push(
      `Attention     ${c.numHeads} heads${c.numKvHeads !== c.numHeads ? ` (${c.numKvHeads} KV)` : ''} × ${c.headDim}, ${c.rope ? `RoPE θ=${c.rope.theta}${c.rope.rotaryDim !== c.headDim ? ` on ${c.rope.rotaryDim} dims` : ''}${c.rope.type !== 'default' ? ` (${c.rope.type} scaling)` : ''}` : 'learned positions'}`,
    );
    lines.push(`Vocabulary    ${fmt(c.vocabSize)}${c.tieWordEmbeddings ? ', head tied to embeddings' : ''}; context ${fmt(c.maxPositions)}`);
  }
  const dt = Object.entries(i.dtypes)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  lines.push(`Dtypes        ${dt || 'unknown'}`);
  lines.push(`Size          weights ${bytes(i.weightBytes)}${i.kind === 'folder' ? `, folder ${bytes(i.bytesOnDisk)} in ${i.files.length} files` : ''}`);
  if (i.kind === 'folder') lines.push(`Tokenizer     ${i.tokenizer.kind ?? 'none found'}${i.tokenizer.files.length ? ` (${i.tokenizer.files.join(', ')})` : ''}`);
  for (const w of i.warnings) lines.push(`Warning       ${w}`);
  return lines.join('\n');
}
