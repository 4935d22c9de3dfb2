import type { Target } from '../cloudflare/target.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import type { WorkerUrlSource } from '../ops/verify/client-urls.js';
import type { CommandContext } from './define.js';
import { resolveFleetTarget } from './fleet-command.js';

/** What commands that talk to the workers themselves (verify, connect) start from. */
export interface WorkerUrlRun {
  fleet: Fleet;
  clients: Client[];
  /** `--url <client>=<url>`, parsed and checked against the fleet's clients. */
  overrides: Map<string, string>;
  local: boolean;
  /** Forms a worker's URL, resolving the target (token, account, edge) only on first use. */
  target: WorkerUrlSource;
  /** The target itself, resolved on first use (the same one `target` forms URLs with). */
  resolveTarget: () => Promise<Target>;
}

/**
 * Loads the project and picks the clients, parses `--url`, and gives a target that is resolved
 * only if a client needs its URL: a route or `--url` for every client needs no API token.
 * With --local the edge is checked at once, so a dead edge is said before any client runs.
 */
export async function prepareWorkerUrlRun(
  ctx: CommandContext,
  names: readonly string[],
  flags: { all: boolean; local: boolean; url: readonly string[] },
): Promise<WorkerUrlRun> {
  const [{ loadFleet, selectClients }, { parseUrlOverrides }] = await Promise.all([
    import('../fleet/fleet.js'),
    import('../ops/verify/client-urls.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const clients = selectClients(fleet, names, flags.all);
  const overrides = parseUrlOverrides(
    flags.url,
    fleet.clients.map((client) => client.name),
  );
  if ([...overrides.values()].some((url) => /^http:\/\/([^/:]+\.)?localhost(:|\/|$)/i.test(url))) {
    // Node's fetch cannot resolve *.localhost on its own (the local edge's URLs).
    (await import('../util/localhost-resolver.js')).installLocalhostResolver();
  }
  const { local } = flags;
  let resolved: Promise<Target> | undefined;
  const resolveOnce = (): Promise<Target> => {
    resolved ??= resolveFleetTarget(fleet, local);
    return resolved;
  };
  if (local) await resolveOnce();
  return {
    fleet,
    clients,
    overrides,
    local,
    target: { kind: local ? 'local' : 'cloudflare', workerUrl: async (worker) => (await resolveOnce()).workerUrl(worker) },
    resolveTarget: resolveOnce,
  };
}
