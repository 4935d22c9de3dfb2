import type { FleetApi } from '../cloudflare/api.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { FleetError } from '../util/errors.js';
import {
  assertComplete,
  assertNoUnsettledRotation,
  type ClientFailure,
  clientFailure,
  type ProgressListener,
  readClientSecrets,
  valuesToSend,
} from './client-secrets.js';

export interface PushOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: FleetApi;
  concurrency?: number;
  onProgress?: ProgressListener;
}

export interface PushResult {
  client: string;
  worker: string;
  ok: boolean;
  /** Names of the secrets sent (never values). */
  keys: string[];
  /** Optional keys left out because their value is empty. */
  skippedEmpty: string[];
  error?: ClientFailure;
}

/** Default parallelism of API-only fleet operations; the pacer, not this, keeps the request rate legal. */
export const DEFAULT_API_CONCURRENCY = 8;

/**
 * Sends each client's `.secrets.<client>` to its worker: validated against the template first
 * (an incomplete file sends nothing), then one `secrets-bulk` request, which makes one new version
 * with all values. A worker that does not exist is refused, never created.
 */
export async function pushSecrets(options: PushOptions): Promise<PushResult[]> {
  const { fleet, api, onProgress } = options;
  for (const client of options.clients) onProgress?.(client.name, 'queued', 'waiting');
  const settled = await mapWithConcurrency(
    options.clients,
    options.concurrency ?? DEFAULT_API_CONCURRENCY,
    async (client): Promise<PushResult> => {
      const base = { client: client.name, worker: client.workerName };
      let keys: string[] = [];
      let skippedEmpty: string[] = [];
      try {
        const file = await readClientSecrets(fleet, client);
        assertComplete(fleet, client, file.values);
        await assertNoUnsettledRotation(fleet, client, file.values);
        const { send, skippedEmpty: skipped } = valuesToSend(file.values);
        keys = [...send.keys()];
        skippedEmpty = skipped;
        onProgress?.(client.name, 'working', `pushing ${keys.length} secret${keys.length === 1 ? '' : 's'}`);
        const outcome = await api.bulkSetSecrets(client.workerName, send);
        if (outcome === 'missing') throw notDeployed(client, api);
        onProgress?.(client.name, 'done', `pushed ${keys.join(', ')}`);
        return { ...base, ok: true, keys, skippedEmpty };
      } catch (error) {
        const failure = clientFailure(error);
        onProgress?.(client.name, 'failed', failure.message);
        return { ...base, ok: false, keys, skippedEmpty, error: failure };
      }
    },
  );
  return settled.map((result, index) => {
    if (result.ok) return result.value;
    const client = options.clients[index] as Client;
    return { client: client.name, worker: client.workerName, ok: false, keys: [], skippedEmpty: [], error: clientFailure(result.error) };
  });
}

export function notDeployed(client: Client, api: Pick<FleetApi, 'target'>): FleetError {
  const where = api.target.kind === 'local' ? 'the local edge' : `Cloudflare account ${api.target.accountId}`;
  return new FleetError(`worker ${client.workerName} does not exist on ${where}; nothing was sent`, {
    hint: `Deploy it first (its first deploy carries its secrets): mcp-fleet deploy ${client.name}${api.target.kind === 'local' ? ' --local' : ''}`,
  });
}
