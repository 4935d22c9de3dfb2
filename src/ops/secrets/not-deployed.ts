import type { Target } from '../../cloudflare/target.js';
import type { Client } from '../../fleet/fleet.js';
import { FleetError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';

/** A secrets operation found no worker: it never creates one (a typo must not make a stray draft worker). */
export function notDeployed(client: Client, target: Pick<Target, 'kind' | 'accountId'>): FleetError {
  const local = target.kind === 'local';
  const where = local ? 'the local edge' : `Cloudflare account ${target.accountId}`;
  return new FleetError(`worker ${client.workerName} does not exist on ${where}; nothing was sent`, {
    hint: `Deploy it first (its first deploy carries its secrets): ${commandLine('deploy', client.name)}`,
  });
}
