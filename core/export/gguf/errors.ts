// User-facing failures of a GGUF export: one line each, never a stack trace for bad input.
import { UserError } from '../../base/user-error';

export class GgufExportError extends UserError {}

/** The model cannot be expressed in llama.cpp's llama graph (per-layer shortcuts, unsupported family…). */
export class GgufUnsupportedError extends GgufExportError {}

/** Not enough free space for the file. */
export class GgufDiskSpaceError extends GgufExportError {}
