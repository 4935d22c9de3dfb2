import { basename } from 'node:path';
import type { SecretsApi } from '../../cloudflare/api.js';
import { API_KEY, type Client, type Fleet, PREVIOUS_API_KEY } from '../../fleet/fleet.js';
import { refuseIfTracked } from '../../secrets/git-guard.js';
import { SIGNING_KEY, SIGNING_KEY_PREVIOUS } from '../../secrets/jwt-keys.js';
import { updateSecretsFile } from '../../secrets/secrets-file.js';
import { UPSTREAM_SIGNING_KEY_PREVIOUS } from '../../secrets/upstream-signing.js';
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
import { workerChanges } from './rotate.js';
import { keysFromBackups, proveRotation, type RotationProof } from './rotation/proof.js';

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
 * Ends the grace period of `secrets rotate --grace` (of API_KEY, and of the signing keys: the
 * previous JWT key stops verifying tokens, the previous upstream signing key stops signing). What is retired is what the worker holds, not
 * only what the file says: its secret names are read first (one call), so an API_KEY_PREVIOUS
 * deleted from the file by hand, or left by an older mcp-fleet, is found and deleted too. The
 * worker's copy goes first (one bulk request), then the file's, then the worker is asked until the
 * previous key — and every earlier key in the client's backups, which is how a previous key only
 * the worker had is known — is refused and the current one still accepted. Deleting first means a
 * crash in between leaves the file still naming the previous key, and a re-run finishes.
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
      // Retire writes the file as rotate does: the same refusal of a tracked file.
      await refuseIfTracked(fleet.dir, client.secretsPath);
      let file = await readRequiredSecretsFile(fleet, client);
      await assertNoUnsettledRotation(fleet, client, file.values);
      const previous = file.values.get(PREVIOUS_API_KEY);
      const current = file.values.get(API_KEY);
      const names = await api.listSecretNames(client.workerName);
      if (names === undefined) throw notDeployed(client, api.target);
      const onWorker = names.includes(PREVIOUS_API_KEY);
      const retiredNames: string[] = [];
      // The signing key's grace ends with the key's: the worker's key set shrinks to the current key, then the file forgets the old one.
      const signing = file.values.get(SIGNING_KEY);
      if (file.values.has(SIGNING_KEY_PREVIOUS) && signing) {
        progress('working', `retiring ${SIGNING_KEY_PREVIOUS}: tokens it signed stop opening the worker`);
        const change = await changeSecrets(
          api,
          client.workerName,
          workerChanges(
            new Map([
              [SIGNING_KEY, signing],
              [SIGNING_KEY_PREVIOUS, null],
            ]),
          ),
          { reason: `secrets retire ${SIGNING_KEY_PREVIOUS}`, progress: (detail) => progress('working', detail) },
        );
        if (change.outcome === 'missing') throw notDeployed(client, api.target);
        file = await updateSecretsFile(file, new Map([[SIGNING_KEY_PREVIOUS, null]]), basename(client.secretsPath));
        retiredNames.push(SIGNING_KEY_PREVIOUS);
      }
      // So does the upstream signing key's: the worker stops signing with the old key (its second
      // signature), then the file forgets it. Found on the worker too, as API_KEY_PREVIOUS is.
      const upstreamOnWorker = names.includes(UPSTREAM_SIGNING_KEY_PREVIOUS);
      if (file.values.has(UPSTREAM_SIGNING_KEY_PREVIOUS) || upstreamOnWorker) {
        progress('working', `retiring ${UPSTREAM_SIGNING_KEY_PREVIOUS}: upstream requests carry one signature again`);
        if (upstreamOnWorker) {
          const change = await changeSecrets(api, client.workerName, new Map([[UPSTREAM_SIGNING_KEY_PREVIOUS, null]]), {
            reason: `secrets retire ${UPSTREAM_SIGNING_KEY_PREVIOUS}`,
            progress: (detail) => progress('working', detail),
          });
          if (change.outcome === 'missing') throw notDeployed(client, api.target);
          if (change.warning) result.warnings.push(change.warning);
        }
        if (file.values.has(UPSTREAM_SIGNING_KEY_PREVIOUS)) {
          file = await updateSecretsFile(file, new Map([[UPSTREAM_SIGNING_KEY_PREVIOUS, null]]), basename(client.secretsPath));
        }
        retiredNames.push(UPSTREAM_SIGNING_KEY_PREVIOUS);
      }
      result.retired = retiredNames.length > 0;
      if (previous === undefined && !onWorker) {
        result.ok = true;
        if (result.retired) progress('done', `${retiredNames.join(' and ')} retired`);
        else progress('skipped', 'no previous key in a grace period, in the file or on the worker');
        return;
      }
      if (onWorker) {
        progress(
          'working',
          `deleting ${PREVIOUS_API_KEY}${previous === undefined ? ` (on the worker only: ${basename(client.secretsPath)} does not name it)` : ''}`,
        );
        const change = await changeSecrets(api, client.workerName, new Map([[PREVIOUS_API_KEY, null]]), {
          reason: `secrets retire ${PREVIOUS_API_KEY}`,
          progress: (detail) => progress('working', detail),
        });
        if (change.outcome === 'missing') throw notDeployed(client, api.target);
        if (change.warning) result.warnings.push(change.warning);
      }
      if (previous !== undefined) await updateSecretsFile(file, new Map([[PREVIOUS_API_KEY, null]]), basename(client.secretsPath));
      result.retired = true;
      if (current !== undefined && current !== '') {
        progress('working', 'proving: previous key refused, current key accepted');
        const url = (await clientUrl(client, api.target, new Map())).url;
        const known = previous === undefined || previous === '' ? undefined : previous;
        const { stale, unreadable } = await keysFromBackups(fleet.dir, client.name, new Set([current]));
        result.warnings.push(...unreadable);
        result.proof = await proveRotation(url, current, known, { timeoutMs: options.proofTimeoutMs ?? TIMEOUT_MS.propagation, stale });
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
