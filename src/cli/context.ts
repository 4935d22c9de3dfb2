import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createOutput, type Output } from '../ui/output.js';

/** What every command gets from the global options. */
export interface CommandContext {
  /** The fleet project directory (absolute). */
  cwd: string;
  json: boolean;
  yes: boolean;
  output: Output;
}

interface GlobalOptions {
  cwd?: string;
  json?: boolean;
  yes?: boolean;
}

/** Reads the global options (which commander keeps on the root program) for a running command. */
export function commandContext(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const json = Boolean(options.json);
  const yes = Boolean(options.yes);
  return {
    cwd: resolve(options.cwd ?? process.cwd()),
    json,
    yes,
    output: createOutput({ json, yes }),
  };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
