import { readFileSync } from 'node:fs';
import { Command, CommanderError, type Option } from 'commander';
import { failureJson } from '../ui/json/common.js';
import { printError } from '../ui/output.js';
import { accessError, describeError, ExitCode, isFleetError } from '../util/errors.js';
import { exitCodeOf } from './action.js';
import { COMMAND_GROUPS, COMMANDS } from './commands/index.js';
import { registerCommands } from './register.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Every option's help line in one style: `(default: 4)`, no quotes, no empty lists. */
function describeOption(option: Option): string {
  const extra: string[] = [];
  const value: unknown = option.defaultValue;
  const empty = value === undefined || (Array.isArray(value) && value.length === 0) || typeof value === 'boolean';
  if (!empty) extra.push(`default: ${option.defaultValueDescription ?? String(value)}`);
  if (option.argChoices) extra.push(`one of: ${option.argChoices.join(', ')}`);
  return extra.length > 0 ? `${option.description} (${extra.join('; ')})` : option.description;
}

export function buildProgram(): Command {
  const program = new Command('mcp-fleet')
    .description('Run a fleet of per-client MCP servers on Cloudflare Workers from one codebase')
    .version(packageVersion(), '-V, --version')
    .option(
      '-C, --cwd <dir>',
      'the fleet project directory (default: the nearest one from the current directory up, as git finds a repository)',
    )
    .option('--json', 'machine-readable output on stdout: one JSON document (logs: NDJSON, one event per line); human text goes to stderr')
    .configureHelp({ showGlobalOptions: true, optionDescription: describeOption })
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program, COMMAND_GROUPS, COMMANDS);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the process exit code: the action's own (see action.ts), or the one of the error it threw. */
export async function run(argv: readonly string[]): Promise<number> {
  // A reader that went away (`… | head`) is not a failure of the command: what it would have read
  // is dropped, and the command finishes (logs stops its tails on this too).
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreClosedPipe);
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return exitCodeOf(program);
  } catch (error) {
    // Under --json, CI reads stdout: a failure is a document there too. The parser may fail
    // before it has read --json itself, so the raw arguments decide.
    const json = argv.slice(2).includes('--json');
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0; anything else is bad usage (commander printed it).
      if (error.exitCode === 0) return ExitCode.ok;
      if (json) printJsonFailure(error.message.replace(/^error: /, ''), undefined, ExitCode.usage);
      return ExitCode.usage;
    }
    // A file or directory this user may not use, wherever it was met, is said as such (exit 2), not as a bug.
    const known = isFleetError(error) ? error : accessError(error);
    if (known) {
      printError(known.message, known.hint);
      if (json) printJsonFailure(known.message, known.hint, known.exitCode);
      return known.exitCode;
    }
    const message = `unexpected error: ${describeError(error)}`;
    const hint = 'This is a bug in mcp-fleet; please report it with the command you ran.';
    printError(message, hint);
    if (json) printJsonFailure(message, hint, ExitCode.failed);
    if (process.env.MCP_FLEET_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return ExitCode.failed;
  }
}

function printJsonFailure(message: string, hint: string | undefined, exitCode: ExitCode): void {
  process.stdout.write(`${JSON.stringify(failureJson(message, hint, exitCode), null, 2)}\n`);
}

function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}
