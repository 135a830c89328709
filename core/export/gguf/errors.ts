// User-facing failures of a GGUF export: one line each, never a stack trace for bad input.

export class GgufExportError extends Error {
  override name = 'GgufExportError';
}

/** The model cannot be expressed in llama.cpp's llama graph (per-layer shortcuts, unsupported family…). */
export class GgufUnsupportedError extends GgufExportError {
  override name = 'GgufUnsupportedError';
}

/** Not enough free space for the file. */
export class GgufDiskSpaceError extends GgufExportError {
  override name = 'GgufDiskSpaceError';
}
