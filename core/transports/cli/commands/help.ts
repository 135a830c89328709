import type { Command } from '../command';
import { cliCommand } from '../invocation';
import { wrap } from './shared/format';

/** Help fits a 100-column terminal: each command's usage wrapped under its name, its summary indented below. */
export const HELP_WIDTH = 100;

/** A usage string broken before its options (`[--flag …]` groups stay whole). */
function usageLines(usage: string): string[] {
  const words = usage.match(/\[[^\]]*\]|\S+/g) ?? [usage];
  return wrap(words.map((w) => w.replace(/ /g, '\u0000')).join(' '), HELP_WIDTH, '  ', '      ').map((l) => l.replace(/\u0000/g, ' '));
}

/** The command list is passed in (commands/index.ts holds it, help among them), so help imports no list that imports help. */
export function usageText(commands: readonly Command[]): string {
  return [
    'Slice Studio — slim LLMs offline with SliceGPT',
    '',
    `usage: ${cliCommand()} <command> [options]`,
    ...(cliCommand() === 'slice-studio' ? ['       (from a clone of the repository: npm run -s cli -- <command> [options])'] : []),
    '',
    'commands:',
    ...commands.flatMap((c) => [...usageLines(c.usage), ...wrap(c.summary, HELP_WIDTH, '        '), '']),
    'options for every command:',
    '  --json            machine-readable output',
    '  --data-dir DIR    where the store lives (default: SLICE_STUDIO_DATA, else the OS user-data folder)',
  ].join('\n');
}

export function helpCommand(commands: () => readonly Command[]): Command {
  return {
    name: 'help',
    usage: 'help',
    summary: 'This list',
    async run(ctx) {
      ctx.out(
        ctx.json
          ? JSON.stringify(
              commands().map(({ name, usage, summary }) => ({ name, usage, summary })),
              null,
              2,
            )
          : usageText(commands()),
      );
      return 0;
    },
  };
}
