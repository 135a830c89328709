// `exportModel`: one entry point for every export format; the formats table (formats.ts) says which formats
// there are, which dtypes each takes and who writes it. Every export is atomic (temp + rename) after a
// free-disk check, and returns what the store records as the run's artifact.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { notAModel } from '../model/not-a-model';
import type { JobContext } from '../base/job-context';
import { ExportError } from './errors';
import { DTYPES, exportFormat, FORMATS, type ExportDtype, type ExportFormat, type ExportResult } from './formats';

export { DTYPES, FORMATS, EXPORT_FORMATS, type ExportDtype, type ExportFormat, type ExportResult } from './formats';

export interface ExportOptions {
  /** Dense Hugging Face folder or sliced model folder. */
  model: string;
  format: ExportFormat;
  dtype?: ExportDtype;
  /** A folder (onnx, safetensors) or a .gguf file. */
  out: string;
  /** Replace an existing --out. */
  overwrite?: boolean;
}

export async function exportModel(ctx: JobContext, o: ExportOptions): Promise<ExportResult> {
  const format = exportFormat(o.format);
  if (!format) throw new ExportError(`unknown export format "${o.format}" (formats: ${FORMATS.join(', ')})`);
  if (o.dtype !== undefined && !(DTYPES as readonly string[]).includes(o.dtype)) throw new ExportError(`unknown --dtype "${o.dtype}" (dtypes: ${DTYPES.join(', ')})`);
  if (!o.model) throw new ExportError('export needs a model folder');
  if (!existsSync(join(o.model, 'config.json'))) throw new ExportError(notAModel(o.model));
  if (!o.out) throw new ExportError('--out is required');
  if (o.dtype !== undefined && !format.dtypes.includes(o.dtype) && !format.alsoAccepts?.includes(o.dtype)) throw new ExportError(`--dtype ${o.dtype} is a GGUF type; ${format.label} exports are ${format.dtypes.join(' or ')}`);
  return format.write(ctx, o, format.runtime);
}

export { ExportError, VerifyError } from './errors';
export { verifyExport } from './verify';
