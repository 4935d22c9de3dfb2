import type { Target } from '../cloudflare/target.js';
import type { TargetChoice, TargetFlags } from '../cloudflare/target-choice.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import type { WorkerUrlSource } from '../ops/verify/client-urls.js';
import type { TargetJson } from '../ui/json/common.js';
import type { CommandContext } from './define.js';
import { announceTarget, cloudflareAccount, resolveFleetTarget, targetDocument } from './fleet-command.js';

/** What commands that talk to the workers themselves (verify, connect) start from. */
export interface WorkerUrlRun {
  fleet: Fleet;
  clients: Client[];
  /** `--url <client>=<url>`, parsed and checked against the fleet's clients. */
  overrides: Map<string, string>;
  /** Where the workers are (flags, MCP_FLEET_TARGET, the project's remembered target). */
  choice: TargetChoice;
  /** The --json `target`: as resolved, or as chosen when no client needed it resolved. */
  targetDocument(): Promise<TargetJson>;
  /** Forms a worker's URL, resolving the target (token, account, edge) only on first use. */
  target: WorkerUrlSource;
  /** The target itself, resolved on first use (the same one `target` forms URLs with). */
  resolveTarget: () => Promise<Target>;
}

/**
 * Loads the project and picks the clients, parses `--url`, and gives a target that is resolved
 * only if a client needs its URL: a route or `--url` for every client needs no API token.
 * The local edge is checked at once, so a dead edge is said before any client runs.
 */
export async function prepareWorkerUrlRun(
  ctx: CommandContext,
  names: readonly string[],
  flags: TargetFlags & { all: boolean; url: readonly string[] },
): Promise<WorkerUrlRun> {
  const [{ loadFleet, selectClients }, { parseUrlOverrides }, { chooseTarget }] = await Promise.all([
    import('../fleet/fleet.js'),
    import('../ops/verify/client-urls.js'),
    import('../cloudflare/target-choice.js'),
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
  const choice = await chooseTarget(fleet.dir, flags);
  let resolved: Promise<Target> | undefined;
  const resolveOnce = (): Promise<Target> => {
    resolved ??= choice.kind === 'local' ? resolveFleetTarget(ctx, fleet, flags) : resolveQuietly(fleet, choice);
    return resolved;
  };
  // Cloudflare is resolved (token, account) only if a client needs its URL; which target it is is said now.
  if (choice.kind === 'local') await resolveOnce();
  else await announceTarget(ctx, fleet, choice);
  return {
    fleet,
    clients,
    overrides,
    choice,
    target: { kind: choice.kind, workerUrl: async (worker) => (await resolveOnce()).workerUrl(worker) },
    async targetDocument() {
      const target = await resolved?.catch(() => undefined);
      if (target) return targetDocument(target);
      const { targetJson } = await import('../ui/json/common.js');
      return targetJson({ kind: choice.kind, accountId: cloudflareAccount(fleet), apiBaseUrl: undefined }, choice.by);
    },
    resolveTarget: resolveOnce,
  };
}

/** Cloudflare, once a client needs its URL (its line was said at the start). */
async function resolveQuietly(fleet: Fleet, choice: TargetChoice): Promise<Target> {
  const { resolveTarget } = await import('../cloudflare/resolve-target.js');
  return resolveTarget({ projectDir: fleet.dir, choice, configAccountId: fleet.accountId });
}
