import { basename } from 'node:path';
import type { SecretsApi } from '../../cloudflare/api.js';
import { API_KEY, type Client, type Fleet, PREVIOUS_API_KEY } from '../../fleet/fleet.js';
import { refuseIfTracked } from '../../secrets/git-guard.js';
import { tightenedWarning, updateSecretsFile } from '../../secrets/secrets-file.js';
import { FleetError } from '../../util/errors.js';
import { sweepStaleTempFiles } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { TIMEOUT_MS } from '../../util/timeouts.js';
import type { ClientFailure } from '../fleet/client-failure.js';
import { DEFAULT_CONCURRENCY } from '../fleet/defaults.js';
import type { ProgressListener } from '../fleet/progress.js';
import { forEachClient } from '../fleet/runner.js';
import { clientUrl } from '../verify/client-urls.js';
import { notDeployed } from './not-deployed.js';
import { changeSecrets } from './on-live-code.js';
import { assertNoUnsettledRotation, readRequiredSecretsFile } from './preflight.js';
import { proveRotation, type RotationProof } from './rotation/proof.js';

export interface RetireOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: SecretsApi;
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
  /** Things the user should know even when retiring succeeded (e.g. a file made private). */
  warnings: string[];
  error?: ClientFailure;
}

/**
 * Ends the grace period of `secrets rotate --grace`: API_KEY_PREVIOUS is deleted on the worker
 * first (one bulk request), then from the file, then the worker is asked until the previous key
 * is refused and the current one still accepted. Deleting first means a crash in between leaves
 * the file still naming the previous key, and a re-run deletes it again (idempotent) and finishes.
 */
export async function retirePreviousKeys(options: RetireOptions): Promise<RetireResult[]> {
  const { fleet, api } = options;
  // Temp files of a write killed earlier hold a copy of what it wrote; nothing else will remove them.
  await sweepStaleTempFiles(fleet.dir);
  return forEachClient<RetireResult>({
    clients: options.clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.api,
    onProgress: options.onProgress,
    queued: 'waiting',
    start: (client) => ({ client: client.name, worker: client.workerName, ok: false, retired: false, proof: undefined, warnings: [] }),
    async work(client, result, progress) {
      // Retire writes the file as rotate does: the same refusal of a tracked file, the same warning.
      await refuseIfTracked(fleet.dir, client.secretsPath);
      const file = await readRequiredSecretsFile(fleet, client);
      const tightened = tightenedWarning(file);
      if (tightened) result.warnings.push(tightened);
      await assertNoUnsettledRotation(fleet, client, file.values);
      const previous = file.values.get(PREVIOUS_API_KEY);
      const current = file.values.get(API_KEY);
      if (previous === undefined) {
        result.ok = true;
        progress('skipped', 'no previous key in a grace period');
        return;
      }
      progress('working', `deleting ${PREVIOUS_API_KEY}`);
      const change = await changeSecrets(api, client.workerName, new Map([[PREVIOUS_API_KEY, null]]), {
        reason: `secrets retire ${PREVIOUS_API_KEY}`,
        progress: (detail) => progress('working', detail),
      });
      if (change.outcome === 'missing') throw notDeployed(client, api.target);
      if (change.warning) result.warnings.push(change.warning);
      await updateSecretsFile(file, new Map([[PREVIOUS_API_KEY, null]]), basename(client.secretsPath));
      result.retired = true;
      if (current !== undefined && current !== '' && previous !== '') {
        progress('working', 'proving: previous key refused, current key accepted');
        const url = (await clientUrl(client, api.target, new Map())).url;
        result.proof = await proveRotation(url, current, previous, { timeoutMs: options.proofTimeoutMs ?? TIMEOUT_MS.propagation });
        if (!result.proof.ok) {
          throw new FleetError(`${client.name}: ${PREVIOUS_API_KEY} is deleted, but the worker ${result.proof.detail}`, {
            hint: `Secrets can take a moment to reach every location; re-run ${commandLine('verify', client.name)} in a minute.`,
          });
        }
      }
      result.ok = true;
      progress('done', 'previous key retired; only the current API_KEY opens /mcp');
    },
  });
}
