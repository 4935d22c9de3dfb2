import type { Command } from 'commander';
import type { FleetApi } from '../cloudflare/api.js';
import type { Target } from '../cloudflare/target.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import type { ProgressListener } from '../ops/client-secrets.js';
import { type CommandContext, commandContext } from './context.js';

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

/** Loads the project, picks the clients and the target, and fixes the process-wide API budget. */
export async function prepareFleetRun(cmd: Command, names: readonly string[], flags: FleetFlags): Promise<FleetRun> {
  const ctx = commandContext(cmd);
  const [{ loadFleet, selectClients }, { sharedPacer }, { resolveTarget }] = await Promise.all([
    import('../fleet/fleet.js'),
    import('../cloudflare/pacer.js'),
    import('../cloudflare/resolve-target.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const clients = selectClients(fleet, names, Boolean(flags.all));
  sharedPacer({ rateLimit: flags.rateLimit });
  const target = await resolveTarget({ projectDir: fleet.dir, local: Boolean(flags.local), configAccountId: fleet.accountId });
  return { ctx, fleet, clients, target };
}

export async function fleetApi(run: FleetRun): Promise<FleetApi> {
  return (await import('../cloudflare/api.js')).createApi(run.target);
}

/** Runs a fleet operation with one live progress line per client, stopping the display however it ends. */
export async function withFleetProgress<T>(run: FleetRun, work: (onProgress: ProgressListener) => Promise<T>): Promise<T> {
  const { createFleetProgress } = await import('../ui/fleet-progress.js');
  const progress = createFleetProgress(
    run.ctx.output,
    run.clients.map((client) => client.name),
  );
  return work(progress.update).finally(() => progress.stop());
}
