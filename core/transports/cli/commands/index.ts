// Every CLI command, in the order `help` lists them. Adding one: a file here and a line below.
import type { Command } from '../command';
import { bench } from './bench';
import { catalogCommand } from './catalog';
import { demo } from './demo';
import { evalCommand } from './eval';
import { exportCommand } from './export';
import { fingerprint } from './fingerprint';
import { generate } from './generate';
import { hardware } from './hardware';
import { helpCommand } from './help';
import { inspect } from './inspect';
import { plan } from './plan';
import { ppl } from './ppl';
import { recover } from './recover';
import { runs } from './runs';
import { serve } from './serve';
import { slice } from './slice';
import { synth } from './synth';
import { verifyExportCommand } from './verify-export';

export const COMMANDS: Command[] = [hardware, inspect, plan, slice, recover, ppl, evalCommand, bench, generate, exportCommand, verifyExportCommand, synth, demo, fingerprint, runs, catalogCommand, serve, helpCommand(() => COMMANDS)];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
