import { basename } from 'node:path';
import type { FleetApi } from '../cloudflare/api.js';
import { API_KEY, type Client, type Fleet, PREVIOUS_API_KEY } from '../fleet/fleet.js';
import { updateSecretsFile } from '../secrets/secrets-file.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { FleetError } from '../util/errors.js';
import {
  assertNoUnsettledRotation,
  type ClientFailure,
  clientFailure,
  type ProgressListener,
  readClientSecrets,
} from './client-secrets.js';
import { DEFAULT_API_CONCURRENCY, notDeployed } from './secrets-push.js';
import { proveRotation, type RotationProof } from './secrets-rotate.js';
import { clientUrl } from './verify/client-urls.js';

export interface RetireOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: FleetApi;
  concurrency?: number;
  onProgress?: ProgressListener;
  proofTimeoutMs?: number;
}

export interface RetireResult {
  client: string;
  worker: string;
  ok: boolean;
  /** A previous key was in its grace period and is now gone. */
  retired: boolean;
  proof: RotationProof | undefined;
  error?: ClientFailure;
}

/**
 * Ends the grace period of `secrets rotate --grace`: API_KEY_PREVIOUS is deleted on the worker
 * first (one bulk request), then from the file, then the worker is asked until the previous key
 * is refused and the current one still accepted. Deleting first means a crash in between leaves
 * the file still naming the previous key, and a re-run deletes it again (idempotent) and finishes.
 */
export async function retirePreviousKeys(options: RetireOptions): Promise<RetireResult[]> {
  const { fleet, api, onProgress } = options;
  for (const client of options.clients) onProgress?.(client.name, 'queued', 'waiting');
  const settled = await mapWithConcurrency(
    options.clients,
    options.concurrency ?? DEFAULT_API_CONCURRENCY,
    async (client): Promise<RetireResult> => {
      const result: RetireResult = { client: client.name, worker: client.workerName, ok: false, retired: false, proof: undefined };
      try {
        const file = await readClientSecrets(fleet, client);
        await assertNoUnsettledRotation(fleet, client, file.values);
        const previous = file.values.get(PREVIOUS_API_KEY);
        const current = file.values.get(API_KEY);
        if (previous === undefined) {
          onProgress?.(client.name, 'skipped', 'no previous key in a grace period');
          return { ...result, ok: true };
        }
        onProgress?.(client.name, 'working', `deleting ${PREVIOUS_API_KEY}`);
        const outcome = await api.bulkSetSecrets(client.workerName, new Map([[PREVIOUS_API_KEY, null]]));
        if (outcome === 'missing') throw notDeployed(client, api);
        await updateSecretsFile(file, new Map([[PREVIOUS_API_KEY, null]]), basename(client.secretsPath));
        result.retired = true;
        if (current !== undefined && current !== '' && previous !== '') {
          onProgress?.(client.name, 'working', 'proving: previous key refused, current key accepted');
          const url = (await clientUrl(client, api.target, new Map())).url;
          result.proof = await proveRotation(url, current, previous, { timeoutMs: options.proofTimeoutMs ?? 30_000 });
          if (!result.proof.ok) {
            throw new FleetError(`${client.name}: ${PREVIOUS_API_KEY} is deleted, but the worker ${result.proof.detail}`, {
              hint: `Secrets can take a moment to reach every location; re-run mcp-fleet verify ${client.name} in a minute.`,
            });
          }
        }
        result.ok = true;
        onProgress?.(client.name, 'done', 'previous key retired; only the current API_KEY opens /mcp');
        return result;
      } catch (error) {
        result.error = clientFailure(error);
        onProgress?.(client.name, 'failed', result.error.message);
        return result;
      }
    },
  );
  return settled.map((entry, index) => {
    if (entry.ok) return entry.value;
    const client = options.clients[index] as Client;
    return {
      client: client.name,
      worker: client.workerName,
      ok: false,
      retired: false,
      proof: undefined,
      error: clientFailure(entry.error),
    };
  });
}
