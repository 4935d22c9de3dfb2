import type { Target } from '../../cloudflare/target.js';
import type { WorkersApi } from '../../cloudflare/workers-api.js';
import { type Fleet, findClient } from '../../fleet/fleet.js';
import { assertClientName } from '../../fleet/names.js';
import { usageError } from '../../util/errors.js';
import { exists } from '../../util/files.js';
import { STATE_DIR_NAME, statePaths } from '../../util/state-dir.js';
import { latestRemoval, readRecord } from './removed-store.js';

export interface DeleteWorkerResult {
  worker: string;
  /** 'absent': there was no such worker (already deleted, or never deployed). */
  outcome: 'deleted' | 'absent';
}

/** Deletes a client's worker (and with it its secrets and versions) on the target. One API call. */
export async function deleteWorker(api: Pick<WorkersApi, 'deleteScript'>, workerName: string): Promise<DeleteWorkerResult> {
  return { worker: workerName, outcome: await api.deleteScript(workerName) };
}

export function targetName(target: Pick<Target, 'kind'>): string {
  return target.kind === 'local' ? 'the local edge' : 'Cloudflare';
}

/**
 * The worker of a client removed from the config, and how this project knows it was its own:
 * `kept`, remove kept its files in .mcp-fleet/removed/ (the record names the worker); `backups`,
 * .mcp-fleet/backups/<client>/ holds copies of its secrets; `tags`, the worker on the target
 * carries the tags a deploy of this project's env <client> gives it.
 */
export interface RemovedClientWorker {
  client: string;
  worker: string;
  evidence: 'kept' | 'backups' | 'tags';
}

/**
 * Finds the worker of a client that is no longer in the config, for `remove <client> --delete-worker`.
 * Without evidence that this project had the client it is bad input, and so is a worker some
 * client of the config deploys now (or the top-level worker): deleting those would take a live
 * customer down. At most one API call (the account's worker list), only when no file tells.
 */
export async function removedClientWorker(
  fleet: Fleet,
  name: string,
  api: Pick<WorkersApi, 'listScripts' | 'target'>,
): Promise<RemovedClientWorker> {
  assertClientName(name);
  if (findClient(fleet, name)) throw new Error(`${name} is a client; its worker is deleted with it`);
  const found = await evidenceFor(fleet, name, api);
  const owner = fleet.clients.find((client) => client.workerName === found.worker);
  if (owner)
    throw usageError(
      `worker ${found.worker}, which ${name} deployed, is the worker of client ${owner.name} now; nothing was deleted`,
      `To offboard ${owner.name}, remove it by its own name.`,
    );
  if (found.worker === fleet.topLevelName && name !== fleet.topLevelName)
    throw usageError(`worker ${found.worker}, which ${name} deployed, is the top-level worker of ${fleet.configPath}; nothing was deleted`);
  return found;
}

async function evidenceFor(fleet: Fleet, name: string, api: Pick<WorkersApi, 'listScripts' | 'target'>): Promise<RemovedClientWorker> {
  const removal = await latestRemoval(fleet.dir, name);
  if (removal) {
    const record = removal.recordPath ? await readRecord(removal.recordPath, name) : undefined;
    return { client: name, worker: record?.worker ?? name, evidence: 'kept' };
  }
  if (await exists(statePaths.backups(fleet.dir, name))) return { client: name, worker: name, evidence: 'backups' };
  const script = (await api.listScripts()).get(name);
  const tags = new Set(script?.tags ?? []);
  if (fleet.topLevelName && tags.has(`cf:service=${fleet.topLevelName}`) && tags.has(`cf:environment=${name}`))
    return { client: name, worker: name, evidence: 'tags' };
  const known = fleet.clients.map((client) => client.name).join(', ') || 'none';
  throw usageError(
    `${name} is not a client, and nothing shows this project had it: nothing of it in ${STATE_DIR_NAME}/removed/ or ${STATE_DIR_NAME}/backups/, and ${
      script
        ? `worker ${name} on ${targetName(api.target)} is not tagged as this project's env ${name}`
        : `no worker ${name} on ${targetName(api.target)}`
    }; nothing was deleted`,
    `Clients: ${known}`,
  );
}
