// What every export format takes and returns (formats.ts lists the formats; their writers return this).

export const DTYPES = ['f32', 'f16', 'q8_0', 'q4_0', 'q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m'] as const;
export type ExportDtype = (typeof DTYPES)[number];

export interface ExportResult {
  /** A row id of EXPORT_FORMATS. */
  format: string;
  /** Absolute path of what was written (folder or file). */
  path: string;
  dtype: string;
  bytes: number;
  files: { name: string; bytes: number }[];
  seconds: number;
  runtime: string;
  /** The format's own result, for details (per-file sizes, GGUF metadata…). */
  details: unknown;
}

export interface WriteOptions {
  model: string;
  dtype?: ExportDtype;
  out: string;
  overwrite?: boolean;
}
