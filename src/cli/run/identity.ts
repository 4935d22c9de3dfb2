import type { KvApi } from '../../cloudflare/kv.js';
import type { Target } from '../../cloudflare/target.js';
import type { TargetFlags } from '../../cloudflare/target-choice.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import type { CommandContext } from '../define.js';
import { resolveFleetTarget } from '../fleet-command.js';

/** What every `users` and `tokens` command works with: one client, its target, and that target's KV. */
export interface IdentityRun {
  fleet: Fleet;
  client: Client;
  target: Target;
  kv: KvApi;
}

export async function identityRun(ctx: CommandContext, clientName: string, flags: TargetFlags): Promise<IdentityRun> {
  const [{ loadFleet, selectClients }, { createKvApi }] = await Promise.all([
    import('../../fleet/fleet.js'),
    import('../../cloudflare/kv.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const [client] = selectClients(fleet, [clientName], false) as [Client];
  const target = await resolveFleetTarget(ctx, fleet, flags);
  return { fleet, client, target, kv: createKvApi(target) };
}

/** The origin (scheme, host, port) of the client's worker: its tokens' issuer. */
export async function workerOrigin(run: IdentityRun): Promise<string> {
  const { clientUrl } = await import('../../ops/verify/client-urls.js');
  return new URL((await clientUrl(run.client, run.target, new Map())).url).origin;
}
