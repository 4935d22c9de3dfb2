import type { Command } from 'commander';
import type { ExitCode } from '../util/errors.js';

/**
 * A command's action returns its exit code (nothing means success); run() in main.ts reads it.
 * Commander ignores what an action returns, so the code is kept per program here: one channel,
 * and no action ever sets process.exitCode.
 */
const outcomes = new WeakMap<Command, ExitCode>();

function root(command: Command): Command {
  let current = command;
  while (current.parent) current = current.parent;
  return current;
}

/** Wraps an action that returns its exit code. Commander passes the running command last. */
export function action<Args extends unknown[]>(fn: (...args: Args) => Promise<ExitCode | undefined>): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    const command = args[args.length - 1] as Command;
    const code = await fn(...args);
    if (typeof code === 'number') outcomes.set(root(command), code);
  };
}

/** The exit code the program's action returned (0 when it returned none). */
export function exitCodeOf(program: Command): ExitCode {
  return outcomes.get(program) ?? 0;
}
