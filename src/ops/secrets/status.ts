import { isCloudflareApiError, type SecretsApi } from '../../cloudflare/api.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { LOCAL_ONLY_SECRETS, workerSecrets } from '../../secrets/jwt-keys.js';
import { readSecretsFile } from '../../secrets/secrets-file.js';
import type { ClientFailure } from '../fleet/client-failure.js';
import { DEFAULT_CONCURRENCY } from '../fleet/defaults.js';
import { forEachClient } from '../fleet/runner.js';
import { readPendingRotation } from './rotation/pending.js';
import { type SealState, sealState } from './seal.js';

// `secrets status` decides its exit code by the policy every read-only comparison shares (the CLI reads it here).

export interface StatusOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: SecretsApi;
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
  /** The plain file against its sealed copy (`secrets seal`); `differs` means an edit not sealed yet, or a seal not unsealed. */
  sealed: SealState;
  inSync: boolean;
  /** The API gave no answer (unreachable, or timed out): nothing was compared. */
  unreachable?: boolean;
  error?: ClientFailure;
}

export async function secretsStatus(options: StatusOptions): Promise<StatusResult[]> {
  const { fleet, api } = options;
  return forEachClient<StatusResult>({
    clients: options.clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.api,
    // Not in sync until proven so.
    start: (client) => ({
      client: client.name,
      worker: client.workerName,
      deployed: undefined,
      local: [],
      remote: [],
      missingRemotely: [],
      extraRemotely: [],
      missingLocally: [],
      pendingRotation: undefined,
      sealed: 'neither',
      inSync: false,
    }),
    async work(client, result) {
      result.sealed = await sealState(client);
      const file = await readSecretsFile(client.secretsPath);
      const given = new Map([...(file?.values ?? new Map<string, string>())].filter(([, value]) => value !== ''));
      result.missingLocally = fleet.requiredKeys.filter((key) => !given.has(key));
      // Compared as the worker holds them: the private signing keys stay here, their public half is sent.
      let local: Map<string, string>;
      try {
        local = new Map(Object.entries(workerSecrets(Object.fromEntries(given))));
      } catch {
        local = new Map([...given].filter(([key]) => !LOCAL_ONLY_SECRETS.includes(key)));
      }
      result.local = [...local.keys()];
      result.pendingRotation = (await readPendingRotation(fleet.dir, client.name))?.key;
      const remote = await api.listSecretNames(client.workerName).catch((error: unknown) => {
        if (isCloudflareApiError(error) && error.unreachable) result.unreachable = true;
        throw error;
      });
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
        result.pendingRotation === undefined &&
        result.sealed !== 'differs';
    },
  });
}
