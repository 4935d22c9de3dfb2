import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { targetArgs } from '../cloudflare/target-choice.js';
import { createOutput, type Output } from '../ui/output.js';
import type { ExitCode } from '../util/errors.js';
import { setInvocation } from '../util/next-step.js';
import { setWarningSink } from '../util/warnings.js';
import { action } from './action.js';
import type { CommandContext, CommandGroup, CommandInput, DeclaredCommand } from './define.js';
import { commandHelp } from './help.js';
import { cliInvocation } from './invocation.js';
import { withProjectLock } from './lock.js';

/** Turns the declarations into commander commands, in the order given (the order of `--help`). */
export function registerCommands(program: Command, groups: readonly CommandGroup[], commands: readonly DeclaredCommand[]): void {
  const parents = new Map<string, Command>();
  // A group is created where its first subcommand comes, so --help keeps the declared order.
  const parentOf = (name: string): Command | undefined => {
    const group = groups.find((candidate) => candidate.name === name);
    if (group && !parents.has(name)) parents.set(name, program.command(group.name).description(group.description));
    return parents.get(name);
  };
  const targeted = new Set(commands.filter((spec) => 'local' in spec.options).map((spec) => spec.name));
  for (const spec of commands) {
    const words = spec.name.split(' ');
    const parent = words.length > 1 ? parentOf(words[0] ?? '') : program;
    if (!parent) throw new Error(`${spec.name}: no group ${words[0]} is declared`);
    const command = parent.command(words.at(-1) ?? spec.name).description(spec.description);
    for (const arg of spec.args) {
      const name = arg.variadic ? `${arg.name}...` : arg.name;
      command.argument(arg.required ? `<${name}>` : `[${name}]`, arg.description);
    }
    for (const [key, option] of Object.entries(spec.options)) {
      const built = new Option(option.flags, option.description);
      if (option.choices) built.choices(option.choices);
      if (option.repeatable) built.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
      if (option.defaultValue !== undefined) built.default(option.defaultValue, option.defaultDescription);
      // The handler's flags are keyed by the declaration; commander keys them by the flag's name.
      if (built.attributeName() !== key)
        throw new Error(`${spec.name}: option ${option.flags} must be declared as ${built.attributeName()}`);
      command.addOption(built);
    }
    command.addHelpText('after', () => commandHelp(spec, cliInvocation()));
    if (spec.access === 'write') {
      command.option('--no-wait', 'fail at once instead of waiting when another mcp-fleet command is changing this project');
    }
    command.action(action((...params: unknown[]) => runDeclared(spec, params, targeted)));
  }
}

/**
 * -C as given; else, for a command about a project, the nearest one from the current directory
 * upward (run from src/ of a project, it acts on the project, and says so); else the current directory.
 */
async function projectDir(spec: DeclaredCommand, given: string | undefined, output: Output): Promise<string> {
  const here = process.cwd();
  if (given !== undefined) return resolve(given);
  if (spec.inCurrentDir) return here;
  const { findProjectUp } = await import('../config/project-root.js');
  const found = await findProjectUp(here);
  if (!found || found.dir === here) return here;
  output.write(`using the fleet project at ${found.dir} (its ${found.config} is above the current directory)\n`);
  return found.dir;
}

interface GlobalOptions {
  cwd?: string;
  json?: boolean;
}

async function runDeclared(spec: DeclaredCommand, params: unknown[], targeted: ReadonlySet<string>) {
  const command = params.at(-1) as Command;
  const raw = command.opts<Record<string, unknown>>();
  const args = Object.fromEntries(spec.args.map((arg, i) => [arg.name, params[i]]));
  const flags = Object.fromEntries(Object.entries(spec.options).map(([key, option]) => [key, option.parse(raw[key])]));
  const globals = command.optsWithGlobals<GlobalOptions>();
  const json = Boolean(globals.json);
  const output = createOutput({ json, yes: flags.yes === true });
  const ctx: CommandContext = { cwd: await projectDir(spec, globals.cwd, output), json, output };
  // Warnings from below the CLI (a secrets file made private) take the command's own warning style.
  setWarningSink((line) => ctx.output.warn(line));
  setInvocation({
    program: cliInvocation(),
    global: globals.cwd === undefined ? [] : ['-C', globals.cwd],
    target: targetArgs({ local: flags.local === true, remote: flags.remote === true }, process.env),
    targeted,
  });
  const summaryFile = typeof flags.summary === 'string' ? flags.summary : undefined;
  if (summaryFile === undefined) return runWithLock(spec, { args, flags, ctx }, raw);
  const { summaryTitle, withSummary } = await import('./summary.js');
  const request = { file: summaryFile, command: spec.name, title: summaryTitle(spec.name, args, flags) };
  return withSummary(request, ctx.output, (output) => runWithLock(spec, { args, flags, ctx: { ...ctx, output } }, raw));
}

function runWithLock(
  spec: DeclaredCommand,
  input: CommandInput<Record<string, unknown>, Record<string, unknown>>,
  raw: Record<string, unknown>,
): Promise<ExitCode | undefined> {
  if (spec.access !== 'write') return spec.run(input);
  const dir = spec.lockDir ? spec.lockDir(input) : input.ctx.cwd;
  if (dir === undefined) return spec.run(input);
  return withProjectLock({ command: spec.name, output: input.ctx.output, wait: raw.wait !== false, projectDir: dir }, () =>
    spec.run(input),
  );
}
