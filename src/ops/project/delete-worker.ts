import type { Target } from '../../cloudflare/target.js';
import { createWorkersApi, type WorkersApi } from '../../cloudflare/workers-api.js';
import { type Fleet, findClient } from '../../fleet/fleet.js';
import { usageError } from '../../util/errors.js';

export interface DeleteWorkerResult {
  worker: string;
  /** 'absent': there was no such worker (already deleted, or never deployed). */
  outcome: 'deleted' | 'absent';
}

/** Deletes a client's worker (and with it its secrets and versions) on the target. One API call. */
export async function deleteWorker(api: Pick<WorkersApi, 'deleteScript'>, workerName: string): Promise<DeleteWorkerResult> {
  return { worker: workerName, outcome: await api.deleteScript(workerName) };
}

/**
 * `remove --delete-worker`: the worker goes before the local files, so that a failed delete leaves
 * the client fully in place and the command can simply be re-run.
 */
export async function deleteClientWorker(
  fleet: Fleet,
  clientName: string,
  resolveTarget: (fleet: Fleet) => Promise<Target>,
): Promise<DeleteWorkerResult> {
  const client = findClient(fleet, clientName);
  if (!client) {
    const known = fleet.clients.map((c) => c.name).join(', ') || 'none';
    throw usageError(`${clientName} is not a client (no env.${clientName} in ${fleet.configPath})`, `Clients: ${known}`);
  }
  const target = await resolveTarget(fleet);
  return deleteWorker(createWorkersApi(target), client.workerName);
}
