import type { FleetApi } from '../cloudflare/api.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import { readSecretsFile } from '../secrets/secrets-file.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { type ClientFailure, clientFailure, readPendingRotation } from './client-secrets.js';
import { DEFAULT_API_CONCURRENCY } from './secrets-push.js';

export interface StatusOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: FleetApi;
  concurrency?: number;
}

/**
 * Names only: Cloudflare never returns a secret's value, so a changed value with the same name
 * cannot be seen here (push is idempotent; re-pushing is the way to be sure).
 */
export interface StatusResult {
  client: string;
  worker: string;
  /** Whether the worker exists; undefined when the check itself failed. */
  deployed: boolean | undefined;
  /** Keys with a value in `.secrets.<client>`. */
  local: string[];
  /** Secret names on the worker. */
  remote: string[];
  /** Set locally, not on the worker: push them. */
  missingRemotely: string[];
  /** On the worker, not in the local file. */
  extraRemotely: string[];
  /** Required by `.secrets.template` but absent or empty in the local file. */
  missingLocally: string[];
  /** A rotation that has not finished (its key). */
  pendingRotation: string | undefined;
  inSync: boolean;
  error?: ClientFailure;
}

/** A client's status before anything is known: not in sync until proven so. */
function blankStatus(client: Client): StatusResult {
  return {
    client: client.name,
    worker: client.workerName,
    deployed: undefined,
    local: [],
    remote: [],
    missingRemotely: [],
    extraRemotely: [],
    missingLocally: [],
    pendingRotation: undefined,
    inSync: false,
  };
}

export async function secretsStatus(options: StatusOptions): Promise<StatusResult[]> {
  const { fleet, api } = options;
  const settled = await mapWithConcurrency(
    options.clients,
    options.concurrency ?? DEFAULT_API_CONCURRENCY,
    async (client): Promise<StatusResult> => {
      const result = blankStatus(client);
      try {
        const file = await readSecretsFile(client.secretsPath);
        const local = new Map([...(file?.values ?? new Map<string, string>())].filter(([, value]) => value !== ''));
        result.local = [...local.keys()];
        result.missingLocally = fleet.requiredKeys.filter((key) => !local.has(key));
        result.pendingRotation = (await readPendingRotation(fleet.dir, client.name))?.key;
        const remote = await api.listSecretNames(client.workerName);
        result.deployed = remote !== undefined;
        result.remote = remote ?? [];
        const remoteSet = new Set(result.remote);
        result.missingRemotely = result.local.filter((key) => !remoteSet.has(key));
        result.extraRemotely = result.remote.filter((key) => !local.has(key));
        result.inSync =
          result.deployed &&
          result.missingRemotely.length === 0 &&
          result.extraRemotely.length === 0 &&
          result.missingLocally.length === 0 &&
          result.pendingRotation === undefined;
      } catch (error) {
        result.error = clientFailure(error);
      }
      return result;
    },
  );
  return settled.map((entry, index) => {
    if (entry.ok) return entry.value;
    const client = options.clients[index] as Client;
    return { ...blankStatus(client), error: clientFailure(entry.error) };
  });
}
