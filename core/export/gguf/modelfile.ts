// An Ollama Modelfile beside the .gguf, named after it (`x-q8_0.gguf` → `x-q8_0.Modelfile`) so that two exports
// into one folder keep one each, and `ollama create <name> -f x-q8_0.Modelfile` imports it. The exports are base
// (not chat) models: the prompt goes in verbatim, generation stops at the end-of-sequence token.
import { basename } from 'node:path';

/** The first line of every Modelfile this app writes: the mark that lets an export replace it. */
export const MODELFILE_SIGNATURE = '# Ollama Modelfile written by Slice Studio';

/** The Modelfile that belongs to a .gguf file: the same path with `.Modelfile` for `.gguf`. */
export function modelfilePath(ggufFile: string): string {
  return `${ggufFile.replace(/\.gguf$/i, '')}.Modelfile`;
}

export function modelfileText(o: { ggufFile: string; eosToken: string | null; contextLength: number; source: string }): string {
  const lines = [
    `${MODELFILE_SIGNATURE} for ${basename(o.ggufFile)} (from ${o.source}).`,
    `# Import: ollama create <name> -f ${basename(modelfilePath(o.ggufFile))}   (run it in this folder)`,
    `FROM ./${basename(o.ggufFile)}`,
    '# A base model: no chat template, the prompt is used as is.',
    'TEMPLATE """{{ .Prompt }}"""',
  ];
  if (o.eosToken) lines.push(`PARAMETER stop ${JSON.stringify(o.eosToken)}`);
  lines.push(`PARAMETER num_ctx ${Math.min(o.contextLength, 4096)}`);
  return `${lines.join('\n')}\n`;
}
