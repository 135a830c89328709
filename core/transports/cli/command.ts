// The shape of one CLI command (one file each under commands/, listed in commands/index.ts).
import type { FlagSpec, ParsedArgs } from './args';
import type { SliceStudioService } from '../../api/service';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CliContext extends CliIo {
  args: ParsedArgs;
  /** --json: machine-readable output on stdout (one JSON document, or JSON lines for streams). */
  json: boolean;
  /** The API implementation over the store in --data-dir / SLICE_STUDIO_DATA, opened on first use. */
  service(): Promise<SliceStudioService>;
}

export interface Command {
  name: string;
  /** e.g. "inspect <folder-or-config.json>" */
  usage: string;
  summary: string;
  flags?: FlagSpec;
  /** Resolves with the exit code; long-running commands (serve) resolve when they stop. */
  run(ctx: CliContext): Promise<number>;
}
