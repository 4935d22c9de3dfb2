import type { SecretsApi } from '../../cloudflare/api.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
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
 * Sends each client's `.secrets.<client>` to its worker: validated against the template first
 * (an incomplete file sends nothing), then one `secrets-bulk` request, which makes one new version
 * with all values. A worker that does not exist is refused, never created.
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
      const { send, skippedEmpty, warnings } = await readSecretsToSend(fleet, client);
      result.keys = [...send.keys()];
      result.skippedEmpty = skippedEmpty;
      result.warnings = warnings;
      progress('working', `pushing ${result.keys.length} secret${result.keys.length === 1 ? '' : 's'}`);
      const change = await changeSecrets(api, client.workerName, send, {
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
