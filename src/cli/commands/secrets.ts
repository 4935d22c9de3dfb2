import type { Command } from 'commander';
import type { FleetApi } from '../../cloudflare/api.js';
import type { Target } from '../../cloudflare/target.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { usageError } from '../../util/errors.js';
import { commandContext, type CommandContext } from '../context.js';

/** Options every fleet-wide Cloudflare command takes. */
export interface FleetFlags {
  all?: boolean;
  local?: boolean;
  concurrency?: string;
  rateLimit?: string;
}

export function addFleetOptions(command: Command, defaultConcurrency: number): Command {
  return command
    .option('--all', 'every client of the fleet')
    .option('--local', 'use the local edge (mcp-fleet local start) instead of Cloudflare')
    .option('--concurrency <n>', `clients worked on at once (default ${defaultConcurrency})`)
    .option('--rate-limit <requests/seconds>', 'API budget for this run (default: MCP_FLEET_RATE_LIMIT, else 1200/300, Cloudflare\'s limit per token)');
}

export function parseConcurrency(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw usageError(`--concurrency ${value}: expected a whole number from 1 to 64`);
  return n;
}

export interface FleetRun {
  ctx: CommandContext;
  fleet: Fleet;
  clients: Client[];
  target: Target;
}

/** Loads the project, picks the clients and the target, and fixes the process-wide API budget. */
export async function prepareFleetRun(cmd: Command, names: readonly string[], flags: FleetFlags): Promise<FleetRun> {
  const ctx = commandContext(cmd);
  const [{ loadFleet, selectClients }, { sharedPacer }, { resolveTarget }] = await Promise.all([
    import('../../fleet/fleet.js'),
    import('../../cloudflare/pacer.js'),
    import('../../cloudflare/resolve-target.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const clients = selectClients(fleet, names, Boolean(flags.all));
  sharedPacer({ rateLimit: flags.rateLimit });
  const target = await resolveTarget({ projectDir: fleet.dir, local: Boolean(flags.local), configAccountId: fleet.accountId });
  return { ctx, fleet, clients, target };
}

async function api(run: FleetRun): Promise<FleetApi> {
  return (await import('../../cloudflare/api.js')).createApi(run.target);
}

/** The modules a secrets subcommand needs, loaded only when one runs. */
async function load() {
  const [clientSecrets, push, rotate, status, progress, report] = await Promise.all([
    import('../../ops/client-secrets.js'),
    import('../../ops/secrets-push.js'),
    import('../../ops/secrets-rotate.js'),
    import('../../ops/secrets-status.js'),
    import('../../ui/fleet-progress.js'),
    import('../../ui/fleet-report.js'),
  ]);
  return { ...clientSecrets, ...push, ...rotate, ...status, ...progress, ...report };
}

export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description('push, compare and rotate the secrets of clients\' workers');

  addFleetOptions(secrets.command('push [clients...]').description('send each .secrets.<client> to its worker (one bulk request per client)'), 8).action(
    async (names: string[], flags: FleetFlags, cmd: Command) => {
      const run = await prepareFleetRun(cmd, names, flags);
      const { createFleetProgress, pushSecrets, fleetJson, renderPushReport, fleetExitCode } = await load();
      const progress = createFleetProgress(run.ctx.output, run.clients.map((client) => client.name));
      const results = await pushSecrets({
        fleet: run.fleet,
        clients: run.clients,
        api: await api(run),
        concurrency: parseConcurrency(flags.concurrency, 8),
        onProgress: progress.update,
      }).finally(() => progress.stop());
      run.ctx.output.result(fleetJson(results));
      run.ctx.output.info(renderPushReport(results));
      process.exitCode = fleetExitCode(results.map((result) => result.error));
    },
  );

  addFleetOptions(secrets.command('status [clients...]').description('compare secret names on each worker with .secrets.<client> (names only); exit 1 when any differ'), 8).action(
    async (names: string[], flags: FleetFlags, cmd: Command) => {
      const run = await prepareFleetRun(cmd, names, flags);
      const { secretsStatus, fleetJson, renderStatusReport, fleetExitCode } = await load();
      const results = await secretsStatus({ fleet: run.fleet, clients: run.clients, api: await api(run), concurrency: parseConcurrency(flags.concurrency, 8) });
      run.ctx.output.result(fleetJson(results));
      run.ctx.output.info(renderStatusReport(results));
      const errors = results.map((result) => result.error);
      process.exitCode = errors.some((error) => error !== undefined) ? fleetExitCode(errors) : results.every((result) => result.inSync) ? 0 : 1;
    },
  );

  addFleetOptions(
    secrets
      .command('rotate [clients...]')
      .description('generate a new key, push it, save it, and prove the new key works and the old one does not')
      .option('--key <KEY>', 'the key to rotate', 'API_KEY'),
    4,
  ).action(async (names: string[], flags: FleetFlags & { key: string }, cmd: Command) => {
    const run = await prepareFleetRun(cmd, names, flags);
    const { createFleetProgress, rotateSecrets, fleetJson, renderRotateReport, fleetExitCode } = await load();
    const progress = createFleetProgress(run.ctx.output, run.clients.map((client) => client.name));
    const results = await rotateSecrets({
      fleet: run.fleet,
      clients: run.clients,
      api: await api(run),
      key: flags.key,
      concurrency: parseConcurrency(flags.concurrency, 4),
      onProgress: progress.update,
    }).finally(() => progress.stop());
    run.ctx.output.result(fleetJson(results));
    run.ctx.output.info(renderRotateReport(results));
    process.exitCode = fleetExitCode(results.map((result) => result.error));
  });
}
