import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { printError } from '../ui/output.js';
import { describeError, ExitCode, isFleetError } from '../util/errors.js';
import { exitCodeOf } from './action.js';
import { registerCommands } from './commands/index.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('mcp-fleet')
    .description('Run a fleet of per-client MCP servers on Cloudflare Workers from one codebase')
    .version(packageVersion(), '-V, --version')
    .option('-C, --cwd <dir>', 'the fleet project directory (default: the current directory)')
    .option('--json', 'machine-readable output on stdout (human text goes to stderr)')
    .option('-y, --yes', 'never prompt; take defaults and confirm')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the process exit code: the action's own (see action.ts), or the one of the error it threw. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return exitCodeOf(program);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0; anything else is bad usage.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (isFleetError(error)) {
      printError(error.message, error.hint);
      // Under --json, CI reads stdout: it gets the failure as a document too.
      if (program.opts<{ json?: boolean }>().json) {
        process.stdout.write(
          `${JSON.stringify({ ok: false, error: { message: error.message, hint: error.hint ?? null, exitCode: error.exitCode } }, null, 2)}\n`,
        );
      }
      return error.exitCode;
    }
    printError(`unexpected error: ${describeError(error)}`, 'This is a bug in mcp-fleet; please report it with the command you ran.');
    if (process.env.MCP_FLEET_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return ExitCode.failed;
  }
}
