// An Ollama Modelfile beside the .gguf, so `ollama create <name> -f Modelfile` imports it. The exports are base
// (not chat) models: the prompt goes in verbatim, generation stops at the end-of-sequence token.
import { basename } from 'node:path';
import { MODELFILE_SIGNATURE } from './replaceable';

export function modelfileText(o: { ggufFile: string; eosToken: string | null; contextLength: number; source: string }): string {
  const lines = [
    `${MODELFILE_SIGNATURE} for ${basename(o.ggufFile)} (from ${o.source}).`,
    `# Import: ollama create <name> -f Modelfile   (run it in this folder)`,
    `FROM ./${basename(o.ggufFile)}`,
    '# A base model: no chat template, the prompt is used as is.',
    'TEMPLATE """{{ .Prompt }}"""',
  ];
  if (o.eosToken) lines.push(`PARAMETER stop ${JSON.stringify(o.eosToken)}`);
  lines.push(`PARAMETER num_ctx ${Math.min(o.contextLength, 4096)}`);
  return `${lines.join('\n')}\n`;
}
