import type { SecretsApi } from '../cloudflare/api.js';
import type { Target } from '../cloudflare/target.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import type { ProgressListener } from '../ops/fleet/progress.js';
import type { ClientOutcome } from '../ops/fleet/runner.js';
import type { ExitCode } from '../util/errors.js';
import type { CommandContext } from './define.js';

/** The flags every fleet-wide Cloudflare command takes (options.ts fleetOptions). */
export interface FleetFlags {
  all: boolean;
  local: boolean;
  rateLimit: string | undefined;
}

export interface FleetRun {
  ctx: CommandContext;
  fleet: Fleet;
  clients: Client[];
  target: Target;
}

/** Loads the project, picks the clients and the target (unless resolved already), and fixes the process-wide API budget. */
export async function prepareFleetRun(
  ctx: CommandContext,
  names: readonly string[],
  flags: Pick<FleetFlags, 'all' | 'local'> & Partial<Pick<FleetFlags, 'rateLimit'>>,
  target?: Target,
): Promise<FleetRun> {
  const [{ loadFleet, selectClients }, { sharedPacer }] = await Promise.all([
    import('../fleet/fleet.js'),
    import('../cloudflare/pacer.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const clients = selectClients(fleet, names, flags.all);
  sharedPacer({ rateLimit: flags.rateLimit });
  return { ctx, fleet, clients, target: target ?? (await resolveFleetTarget(fleet, flags.local)) };
}

/** Cloudflare (token, account) or, with --local, the recorded local edge; bad or missing details are exit 2. */
export async function resolveFleetTarget(fleet: Fleet, local: boolean): Promise<Target> {
  const { resolveTarget } = await import('../cloudflare/resolve-target.js');
  return resolveTarget({ projectDir: fleet.dir, local, configAccountId: fleet.accountId });
}

/**
 * The target when one is configured (--local, or a Cloudflare token in the environment), for
 * commands that also work offline; undefined when none is. A configured one that is broken is exit 2.
 */
export async function configuredTarget(fleet: Fleet, local: boolean): Promise<Target | undefined> {
  if (!local && !process.env.CLOUDFLARE_API_TOKEN) return undefined;
  return resolveFleetTarget(fleet, local);
}

export async function secretsApi(run: FleetRun): Promise<SecretsApi> {
  return (await import('../cloudflare/api.js')).createSecretsApi(run.target);
}

/** What a fleet command runs: the op, how its results read as a table and as --json, and (when not the default) its exit policy. */
export interface FleetOp<R extends ClientOutcome, D> {
  run: (onProgress: ProgressListener | undefined) => Promise<R[]>;
  /** One live line per client while it runs (status-like reads skip it). */
  progress: boolean;
  render: (results: readonly R[], elapsedMs: number) => string;
  /** The --json document (a mapping of ui/json/); ok when the command succeeded. */
  json: (results: readonly R[], ok: boolean) => D;
  /** Default: fleetExitCode of the clients' failures. */
  exitCode?: (results: readonly R[]) => ExitCode;
}

/**
 * Runs a fleet operation (with live progress when asked), prints its report as human text, and
 * returns its exit code and --json document. The one place a fleet command turns results into output.
 */
export async function runFleetOp<R extends ClientOutcome, D>(run: FleetRun, op: FleetOp<R, D>): Promise<{ exitCode: ExitCode; json: D }> {
  const [{ createFleetProgress }, { renderProblems }, { fleetExitCode }] = await Promise.all([
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
  return { exitCode, json: op.json(results, exitCode === 0) };
}

/** A whole fleet command: load the project and target, run the op, print JSON and report, return the exit code. */
export async function fleetCommand<R extends ClientOutcome, D>(
  ctx: CommandContext,
  names: readonly string[],
  flags: FleetFlags,
  op: (run: FleetRun) => FleetOp<R, D> | Promise<FleetOp<R, D>>,
): Promise<ExitCode> {
  const run = await prepareFleetRun(ctx, names, flags);
  const outcome = await runFleetOp(run, await op(run));
  run.ctx.output.result(outcome.json);
  return outcome.exitCode;
}
