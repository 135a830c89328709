// Every CLI command, in the order `help` lists them. Adding one: a file here and a line below; a new job kind
// needs neither (its command comes from the JOBS table until it has a file of its own).
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
import { JOBS, type JobKind } from '../../../jobs/kinds/index';
import { jobCommand } from './shared/job-command';

const OWN: Command[] = [hardware, inspect, plan, slice, recover, ppl, evalCommand, bench, generate, exportCommand, verifyExportCommand, synth, demo, fingerprint, runs, catalogCommand, serve];
/** A job kind without a command file still has a command: flags and usage from the JOBS table, its result as JSON. */
const FROM_TABLE = (Object.keys(JOBS) as JobKind[]).filter((k) => !OWN.some((c) => c.name === k)).map((k) => jobCommand(k));

export const COMMANDS: Command[] = [...OWN, ...FROM_TABLE, helpCommand(() => COMMANDS)];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
