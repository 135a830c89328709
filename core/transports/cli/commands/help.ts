import type { Command } from '../command';
import { COMMANDS } from './index';

export function usageText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'Slice Studio — slim LLMs offline with SliceGPT',
    '',
    'usage: slice-studio <command> [options]     (in the repo: npm run cli -- <command> [options])',
    '',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'options for every command:',
    '  --json            machine-readable output',
    '  --data-dir DIR    where the store lives (default: SLICE_STUDIO_DATA, else the OS user-data folder)',
  ].join('\n');
}

export const help: Command = {
  name: 'help',
  usage: 'help',
  summary: 'This list',
  async run(ctx) {
    ctx.out(ctx.json ? JSON.stringify(COMMANDS.map(({ name, usage, summary }) => ({ name, usage, summary })), null, 2) : usageText());
    return 0;
  },
};
