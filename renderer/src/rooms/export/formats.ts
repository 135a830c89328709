// What each export format is for: which runtimes load it, which dtypes it takes, and its limits. The
// Export panel draws its compatibility matrix from this table; the engine enforces the limits and
// refuses with its own one-line message (shown as is).
export type ExportFormatId = 'onnx' | 'gguf' | 'safetensors';
export type ExportDtypeId = 'f32' | 'f16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q5_k' | 'q6_k' | 'q4_k_m' | 'q5_k_m';

export interface ExportFormatInfo {
  id: ExportFormatId;
  label: string;
  runtimes: string;
  dtypes: ExportDtypeId[];
  slices: string;
  limits: string;
}

export const EXPORT_FORMATS: ExportFormatInfo[] = [
  {
    id: 'onnx',
    label: 'ONNX',
    runtimes: 'onnxruntime, onnxruntime-genai, Optimum-style loaders',
    dtypes: ['f32', 'f16'],
    slices: 'per-layer and uniform rotation, dense',
    limits: 'one decoder graph with KV cache; weights as external data',
  },
  {
    id: 'gguf',
    label: 'GGUF',
    runtimes: 'llama.cpp, Ollama, LM Studio',
    dtypes: ['f16', 'q8_0', 'q6_k', 'q5_k_m', 'q5_k', 'q4_k_m', 'q4_k', 'q4_0'],
    slices: 'uniform rotation only (no shortcut matrices), dense',
    limits: 'llama family; D′ a multiple of 32 for Q8_0 / Q4_0; K-quants want rows in multiples of 256 (others fall back as llama.cpp does)',
  },
  {
    id: 'safetensors',
    label: 'safetensors',
    runtimes: 'Slice Studio, TransformerCompression',
    dtypes: ['f32', 'f16'],
    slices: 'per-layer and uniform rotation, dense',
    limits: 'folder with slicing_config.json and a README',
  },
];

export const formatInfo = (id: ExportFormatId): ExportFormatInfo => EXPORT_FORMATS.find((f) => f.id === id)!;

/** The default output name: `<model>-<format>-<dtype>`, a .gguf file for GGUF, a folder otherwise. */
export function exportName(model: string, format: ExportFormatId, dtype: ExportDtypeId): string {
  const base = model.split(/[\\/]/).filter(Boolean).pop() ?? 'model';
  return `${base}-${format}-${dtype}${format === 'gguf' ? '.gguf' : ''}`;
}

export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return `${dir.replace(/[\\/]+$/, '')}${sep}${name}`;
}
