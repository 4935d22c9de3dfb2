import type { SecretsApi } from '../../cloudflare/api.js';
import { type Client, type Fleet, PREVIOUS_API_KEY } from '../../fleet/fleet.js';
import { UPSTREAM_SIGNING_KEY_PREVIOUS } from '../../secrets/upstream-signing.js';
import type { ClientFailure } from '../fleet/client-failure.js';
import { DEFAULT_CONCURRENCY } from '../fleet/defaults.js';
import type { ProgressListener } from '../fleet/progress.js';
import { forEachClient } from '../fleet/runner.js';
import { notDeployed } from './not-deployed.js';
import { changeSecrets } from './on-live-code.js';
import { readSecretsToSend } from './preflight.js';

export interface PushOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: SecretsApi;
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
  /** Things the user should know even when the push succeeded (e.g. a file made private). */
  warnings: string[];
  error?: ClientFailure;
}

/**
 * What a push sets: the file's values, and the previous keys' slots removed when the file gives
 * them no value. A worker-only API_KEY_PREVIOUS (a hand edit of the file, an older mcp-fleet) is a
 * key nobody can see or check that still opens the worker, and a worker-only
 * UPSTREAM_SIGNING_KEY_PREVIOUS keeps signing upstream requests with a key the operator believes
 * retired; deleting a secret the worker lacks is a no-op in the same bulk request, so this costs no call.
 */
export function withoutUnnamedPreviousKey(send: ReadonlyMap<string, string>): Map<string, string | null> {
  const changes = new Map<string, string | null>(send);
  for (const slot of [PREVIOUS_API_KEY, UPSTREAM_SIGNING_KEY_PREVIOUS]) if (!send.has(slot)) changes.set(slot, null);
  return changes;
}

/**
 * Sends each client's `.secrets.<client>` to its worker: validated against the template first
 * (an incomplete file sends nothing), then one `secrets-bulk` request, which makes one new version
 * with all values (and without a previous key the file does not name). A worker that does not exist is refused, never created.
 */
export async function pushSecrets(options: PushOptions): Promise<PushResult[]> {
  const { fleet, api } = options;
  return forEachClient<PushResult>({
    clients: options.clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.api,
    onProgress: options.onProgress,
    queued: 'waiting',
    start: (client) => ({ client: client.name, worker: client.workerName, ok: false, keys: [], skippedEmpty: [], warnings: [] }),
    async work(client, result, progress) {
      const { send, skippedEmpty } = await readSecretsToSend(fleet, client);
      result.keys = [...send.keys()];
      result.skippedEmpty = skippedEmpty;
      progress('working', `pushing ${result.keys.length} secret${result.keys.length === 1 ? '' : 's'}`);
      const change = await changeSecrets(api, client.workerName, withoutUnnamedPreviousKey(send), {
        reason: 'secrets push',
        progress: (detail) => progress('working', detail),
      });
      if (change.outcome === 'missing') throw notDeployed(client, api.target);
      if (change.warning) result.warnings.push(change.warning);
      result.ok = true;
      progress('done', `pushed ${result.keys.join(', ')}`);
    },
  });
}
