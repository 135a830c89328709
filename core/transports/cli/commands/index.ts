// Every CLI command, in the order `help` lists them. Adding one: a file here and a line below.
import type { Command } from '../command';
import { fingerprint } from './fingerprint';
import { hardware } from './hardware';
import { help } from './help';
import { inspect } from './inspect';
import { runs } from './runs';
import { serve } from './serve';

export const COMMANDS: Command[] = [hardware, inspect, fingerprint, runs, serve, help];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
