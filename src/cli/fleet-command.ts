import type { SecretsApi } from '../cloudflare/api.js';
import type { Target } from '../cloudflare/target.js';
import type { TargetChoice, TargetFlags } from '../cloudflare/target-choice.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import type { ProgressListener } from '../ops/fleet/progress.js';
import type { ClientOutcome } from '../ops/fleet/runner.js';
import type { Targeted, TargetJson } from '../ui/json/common.js';
import type { ExitCode } from '../util/errors.js';
import type { CommandContext } from './define.js';

/** The flags every fleet-wide Cloudflare command takes (options.ts fleetOptions). */
export interface FleetFlags extends TargetFlags {
  all: boolean;
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
  flags: Pick<FleetFlags, 'all' | 'local' | 'remote'> & Partial<Pick<FleetFlags, 'rateLimit'>>,
  target?: Target,
): Promise<FleetRun> {
  const [{ loadFleet, selectClients }, { sharedPacer }] = await Promise.all([
    import('../fleet/fleet.js'),
    import('../cloudflare/pacer.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const clients = selectClients(fleet, names, flags.all);
  sharedPacer({ rateLimit: flags.rateLimit });
  return { ctx, fleet, clients, target: target ?? (await resolveFleetTarget(ctx, fleet, flags)) };
}

/**
 * Cloudflare (token, account) or the recorded local edge, as the flags, MCP_FLEET_TARGET or the
 * project's remembered target say (target-choice.ts); bad or missing details are exit 2. Says on
 * stderr which target it is, before anything is sent (Cloudflare before its token is even looked at).
 */
export async function resolveFleetTarget(ctx: CommandContext, fleet: Fleet, flags: TargetFlags): Promise<Target> {
  const [{ chooseTarget }, { resolveTarget }] = await Promise.all([
    import('../cloudflare/target-choice.js'),
    import('../cloudflare/resolve-target.js'),
  ]);
  const choice = await chooseTarget(fleet.dir, flags);
  if (choice.kind === 'cloudflare') await announceTarget(ctx, fleet, choice);
  const target = await resolveTarget({ projectDir: fleet.dir, choice, configAccountId: fleet.accountId });
  if (choice.kind === 'local') await announceTarget(ctx, fleet, choice, target);
  return target;
}

/** The target line on stderr: the resolved target, or Cloudflare as far as it is known without its token. */
export async function announceTarget(ctx: CommandContext, fleet: Fleet, choice: TargetChoice, target?: Target): Promise<void> {
  const { targetLine } = await import('../ui/target-line.js');
  ctx.output.write(`${targetLine(target ?? { kind: choice.kind, accountId: cloudflareAccount(fleet), apiBaseUrl: undefined }, choice)}\n`);
}

/** The account a Cloudflare target will use (CLOUDFLARE_ACCOUNT_ID, else the config's), if any. */
export function cloudflareAccount(fleet: Fleet): string | undefined {
  return process.env.CLOUDFLARE_ACCOUNT_ID || fleet.accountId;
}

/** The --json `target` of a resolved target. */
export async function targetDocument(target: Target): Promise<TargetJson> {
  const { targetJson } = await import('../ui/json/common.js');
  return targetJson(target, target.choice?.by ?? 'default');
}

/**
 * The target when there is one to ask, for commands that also work offline (the same rule as
 * `list`): the local edge when it is chosen (flag, MCP_FLEET_TARGET, or remembered), Cloudflare
 * when a token is in the environment; undefined otherwise. A chosen one that is broken is exit 2.
 */
export async function configuredTarget(ctx: CommandContext, fleet: Fleet, flags: TargetFlags): Promise<Target | undefined> {
  const { chooseTarget } = await import('../cloudflare/target-choice.js');
  const choice = await chooseTarget(fleet.dir, flags);
  if (choice.kind !== 'local' && !process.env.CLOUDFLARE_API_TOKEN) return undefined;
  return resolveFleetTarget(ctx, fleet, flags);
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
export async function runFleetOp<R extends ClientOutcome, D extends object>(
  run: FleetRun,
  op: FleetOp<R, D>,
): Promise<{ exitCode: ExitCode; json: Targeted<D> }> {
  const [{ createFleetProgress }, { renderProblems }, { fleetExitCode }, { withTarget }] = await Promise.all([
    import('../ui/fleet-progress.js'),
    import('../ui/fleet-report.js'),
    import('../ops/fleet/client-failure.js'),
    import('../ui/json/common.js'),
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
  return { exitCode, json: withTarget(op.json(results, exitCode === 0), await targetDocument(run.target)) };
}

/** A whole fleet command: load the project and target, run the op, print JSON and report, return the exit code. */
export async function fleetCommand<R extends ClientOutcome, D extends object>(
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
