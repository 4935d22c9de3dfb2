import type { Command } from 'commander';
import type { SecretsApi } from '../cloudflare/api.js';
import type { Target } from '../cloudflare/target.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import type { ProgressListener } from '../ops/fleet/progress.js';
import type { ClientOutcome } from '../ops/fleet/runner.js';
import type { ExitCode } from '../util/errors.js';
import { type CommandContext, commandContext } from './context.js';
import { withProjectLock } from './project-lock.js';

/** Options every fleet-wide Cloudflare command takes. */
export interface FleetFlags {
  all?: boolean;
  local?: boolean;
  concurrency?: string;
  rateLimit?: string;
  /** --no-wait (commands that write). */
  wait?: boolean;
}

export function addFleetOptions(command: Command, defaultConcurrency: number): Command {
  return command
    .option('--all', 'every client of the fleet')
    .option('--local', 'use the local edge (mcp-fleet local start) instead of Cloudflare')
    .option('--concurrency <n>', `clients worked on at once (default: ${defaultConcurrency})`)
    .option(
      '--rate-limit <requests/seconds>',
      "API budget for this run (default: MCP_FLEET_RATE_LIMIT, else 1200/300, Cloudflare's limit per token)",
    );
}

export interface FleetRun {
  ctx: CommandContext;
  fleet: Fleet;
  clients: Client[];
  target: Target;
}

/** Loads the project, picks the clients and the target (unless resolved already), and fixes the process-wide API budget. */
export async function prepareFleetRun(cmd: Command, names: readonly string[], flags: FleetFlags, target?: Target): Promise<FleetRun> {
  const ctx = commandContext(cmd);
  const [{ loadFleet, selectClients }, { sharedPacer }] = await Promise.all([
    import('../fleet/fleet.js'),
    import('../cloudflare/pacer.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const clients = selectClients(fleet, names, Boolean(flags.all));
  sharedPacer({ rateLimit: flags.rateLimit });
  return { ctx, fleet, clients, target: target ?? (await resolveFleetTarget(fleet, flags)) };
}

/** Cloudflare (token, account) or, with --local, the recorded local edge; bad or missing details are exit 2. */
export async function resolveFleetTarget(fleet: Fleet, flags: Pick<FleetFlags, 'local'>): Promise<Target> {
  const { resolveTarget } = await import('../cloudflare/resolve-target.js');
  return resolveTarget({ projectDir: fleet.dir, local: Boolean(flags.local), configAccountId: fleet.accountId });
}

export async function fleetApi(run: FleetRun): Promise<SecretsApi> {
  return (await import('../cloudflare/api.js')).createSecretsApi(run.target);
}

/** What a fleet command runs: the op, how its results read as a table, and (when not the default) its exit policy. */
export interface FleetOp<R extends ClientOutcome> {
  run: (onProgress: ProgressListener | undefined) => Promise<R[]>;
  /** One live line per client while it runs (status-like reads skip it). */
  progress: boolean;
  render: (results: readonly R[], elapsedMs: number) => string;
  /** Default: fleetExitCode of the clients' failures. */
  exitCode?: (results: readonly R[]) => ExitCode;
}

/**
 * Runs a fleet operation (with live progress when asked), prints its report as human text, and
 * returns its exit code and --json document. The one place a fleet command turns results into output.
 */
export async function runFleetOp<R extends ClientOutcome>(run: FleetRun, op: FleetOp<R>): Promise<{ exitCode: ExitCode; json: unknown }> {
  const [{ createFleetProgress }, { fleetJson, renderProblems }, { fleetExitCode }] = await Promise.all([
    import('../ui/fleet-progress.js'),
    import('../ui/fleet-report.js'),
    import('../ops/fleet/client-failure.js'),
  ]);
  const started = Date.now();
  let results: R[];
  if (op.progress) {
    const display = createFleetProgress(
      run.ctx.output,
      run.clients.map((client) => client.name),
    );
    results = await op.run(display.update).finally(() => display.stop());
  } else {
    results = await op.run(undefined);
  }
  run.ctx.output.info(op.render(results, Date.now() - started));
  const problems = renderProblems(results);
  if (problems.length > 0) run.ctx.output.problem(['', ...problems].join('\n'));
  const exitCode = op.exitCode ? op.exitCode(results) : fleetExitCode(results.map((result) => result.error));
  return { exitCode, json: fleetJson(results, exitCode === 0) };
}

/**
 * A whole fleet command: load the project and target, run the op, print JSON and report, return
 * the exit code. A command that writes (files or remote state) does all of it holding the project lock.
 */
export async function fleetCommand<R extends ClientOutcome>(
  cmd: Command,
  names: readonly string[],
  flags: FleetFlags,
  access: 'read' | 'write',
  op: (run: FleetRun) => FleetOp<R> | Promise<FleetOp<R>>,
): Promise<ExitCode> {
  const whole = async (): Promise<ExitCode> => {
    const run = await prepareFleetRun(cmd, names, flags);
    const outcome = await runFleetOp(run, await op(run));
    run.ctx.output.result(outcome.json);
    return outcome.exitCode;
  };
  return access === 'write' ? withProjectLock(cmd, commandContext(cmd), flags, whole) : whole();
}
