// The GGUF modules (core/export/gguf, verify-gguf.ts) are written concurrently with this room; until they
// exist, asking for GGUF says so in one line instead of failing the whole build.
import { ExportError } from './errors';

export async function optionalExport<F>(specifier: string, name: string, what: string): Promise<F> {
  const mod = (await import(/* @vite-ignore */ specifier).catch(() => null)) as Record<string, unknown> | null;
  const f = mod?.[name];
  if (typeof f !== 'function') throw new ExportError(`${what} is not available in this build yet`);
  return f as F;
}
