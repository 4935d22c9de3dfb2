import { basename } from 'node:path';
import { type FleetApi, isCloudflareApiError } from '../cloudflare/api.js';
import { type Clock, systemClock } from '../cloudflare/pacer.js';
import { API_KEY, type Client, type Fleet, PREVIOUS_API_KEY } from '../fleet/fleet.js';
import { isValidKey } from '../secrets/dotfile.js';
import { generateApiKey } from '../secrets/generate.js';
import { backupSecretsFile, readSecretsFile, updateSecretsFile } from '../secrets/secrets-file.js';
import { FleetError, usageError } from '../util/errors.js';
import type { ClientFailure } from './client-failure.js';
import { DEFAULT_CONCURRENCY } from './defaults.js';
import { forEachClient } from './fleet-runner.js';
import { notDeployed } from './not-deployed.js';
import { clearPendingRotation, pendingRotationPath, readPendingRotation, writePendingRotation } from './pending-rotation.js';
import type { ClientProgress, ProgressListener } from './progress.js';
import { proveRotation, type RotationProof } from './rotation-proof.js';
import { readRequiredSecretsFile } from './secrets-preflight.js';
import { keyAccepted } from './verify/auth-probe.js';
import { clientUrl } from './verify/client-urls.js';

export interface RotateOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: FleetApi;
  key?: string;
  /** Keep the previous API_KEY working (as API_KEY_PREVIOUS) until `secrets retire`. */
  grace?: boolean;
  concurrency?: number;
  onProgress?: ProgressListener;
  /** How long to wait for the worker to switch keys (secrets propagate asynchronously). */
  proofTimeoutMs?: number;
  generate?: () => string;
  clock?: Clock;
}

export interface RotateResult {
  client: string;
  worker: string;
  key: string;
  ok: boolean;
  /** This run finished a rotation an earlier run had started. */
  resumed: boolean;
  /** What the run got to: nothing changed, pushed (worker has the new value), saved (file too), proven. */
  reached: 'none' | 'pushed' | 'saved' | 'proven';
  /** Copy of the secrets file from before the rotation (0600). */
  backup: string | undefined;
  /** undefined when the key is not API_KEY (nothing outside can check it) or the run stopped earlier. */
  proof: RotationProof | undefined;
  error?: ClientFailure;
}

/**
 * Rotates one key per client, in an order that never loses the live value:
 *
 *   1. back up `.secrets.<client>`            (file = live; backup = live)
 *   2. write the new value to pending-rotation (file = live; new value safe on disk)
 *   3. push the new value, one bulk request   (live = new or, if the answer was lost, unknown)
 *   4. write `.secrets.<client>` atomically    (file = live = new)
 *   5. prove: new key accepted, old refused
 *   6. delete pending-rotation
 *
 * A crash or failure anywhere leaves a state the next run recognises: with a pending record it
 * re-pushes that same value (idempotent) and carries on from step 4. A push refused outright
 * (4xx) changed nothing, so the record is dropped and the file still matches the worker.
 */
export async function rotateSecrets(options: RotateOptions): Promise<RotateResult[]> {
  const key = options.key ?? API_KEY;
  if (!isValidKey(key)) throw usageError(`--key ${key}: not a valid secret name (letters, digits and _)`);
  if (options.grace && key !== API_KEY) {
    throw usageError(
      `--grace applies to ${API_KEY} only: the worker accepts ${PREVIOUS_API_KEY} beside it, and no other key has a second slot`,
    );
  }
  if (!options.fleet.requiredKeys.includes(key)) {
    throw usageError(
      `--key ${key}: not a key of ${basename(options.fleet.templatePath)}`,
      `Keys: ${options.fleet.requiredKeys.join(', ') || 'none'}`,
    );
  }
  return forEachClient<RotateResult>({
    clients: options.clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.rotate,
    onProgress: options.onProgress,
    queued: 'waiting',
    start: (client) => ({
      client: client.name,
      worker: client.workerName,
      key,
      ok: false,
      resumed: false,
      reached: 'none',
      backup: undefined,
      proof: undefined,
    }),
    work: (client, result, progress) => rotateOne(options, key, client, result, progress),
  });
}

async function rotateOne(
  options: RotateOptions,
  key: string,
  client: Client,
  result: RotateResult,
  progress: ClientProgress,
): Promise<void> {
  const { fleet, api } = options;
  const pendingPath = pendingRotationPath(fleet.dir, client.name);
  const file = await readRequiredSecretsFile(fleet, client);
  const pending = await readPendingRotation(fleet.dir, client.name);
  let newValue: string;
  let oldValue: string | undefined;
  let grace = options.grace ?? false;
  if (pending) {
    if (pending.key !== key) {
      throw usageError(
        `${client.name} has an unfinished rotation of ${pending.key}; finish it before rotating ${key}`,
        `Run: mcp-fleet secrets rotate ${client.name} --key ${pending.key}`,
      );
    }
    result.resumed = true;
    result.backup = pending.backup;
    newValue = pending.value;
    grace = pending.grace ?? false;
    const inFile = file.values.get(key);
    // The file already has the new value when an earlier run got past step 4; the old one is then in the backup.
    oldValue = inFile === newValue ? (await readSecretsFile(pending.backup))?.values.get(key) : inFile;
    progress('working', `resuming the rotation started ${pending.startedAt}`);
  } else {
    result.backup = await backupSecretsFile(fleet.dir, client.name, client.secretsPath, 'rotate');
    oldValue = file.values.get(key);
    newValue = (options.generate ?? generateApiKey)();
    await writePendingRotation(fleet.dir, {
      version: 1,
      client: client.name,
      key,
      value: newValue,
      backup: result.backup,
      startedAt: new Date().toISOString(),
      grace,
    });
  }
  if (oldValue === '') oldValue = undefined;
  const changes = rotationChanges(key, newValue, oldValue, grace, file.values);

  progress(
    'working',
    `pushing the new ${key}${grace && oldValue !== undefined ? ` (the previous one stays valid as ${PREVIOUS_API_KEY})` : ''}`,
  );
  let outcome: 'ok' | 'missing';
  try {
    outcome = await api.bulkSetSecrets(client.workerName, changes);
  } catch (error) {
    throw await pushFailure(error, { options, client, key, newValue, oldValue, resumed: result.resumed, pendingPath });
  }
  if (outcome === 'missing') {
    // No worker, so no value is live anywhere: the record protects nothing (and would block the deploy it asks for).
    await clearPendingRotation(fleet.dir, client.name);
    throw notDeployed(client, api.target);
  }
  result.reached = 'pushed';

  if ([...changes].some(([name, value]) => (file.values.get(name) ?? null) !== value)) {
    progress('working', `saving the new ${key} in ${basename(client.secretsPath)}`);
    try {
      await updateSecretsFile(file, changes, basename(client.secretsPath));
    } catch (error) {
      throw new FleetError(
        `${client.name}: the worker has the new ${key}, but writing ${basename(client.secretsPath)} failed (${error instanceof Error ? error.message : String(error)})`,
        {
          hint: `The new value is kept in ${pendingPath}; re-run mcp-fleet secrets rotate ${client.name} to write it.`,
        },
      );
    }
  }
  result.reached = 'saved';

  if (key === API_KEY) {
    progress('working', 'proving: new key accepted, old key refused');
    const url = (await clientUrl(client, api.target, new Map())).url;
    const proof = await proveRotation(url, newValue, oldValue, {
      timeoutMs: options.proofTimeoutMs ?? 30_000,
      clock: options.clock ?? systemClock,
      grace,
    });
    result.proof = proof;
    if (!proof.ok) {
      throw new FleetError(`${client.name}: the new ${key} is pushed and saved, but the worker ${proof.detail}`, {
        hint: `Secrets can take a moment to reach every location; re-run mcp-fleet secrets rotate ${client.name} to push again and re-check (the new value is in ${basename(client.secretsPath)}).`,
      });
    }
    result.reached = 'proven';
  }
  await clearPendingRotation(fleet.dir, client.name);
  result.ok = true;
  const proven = result.proof
    ? grace
      ? '; new key accepted, old one valid until `secrets retire`'
      : '; new key accepted, old refused'
    : '';
  progress('done', `${key} rotated${result.resumed ? ' (resumed)' : ''}${proven}`);
}

/**
 * What one rotation sets, on the worker and in the file alike: the new value, and for API_KEY the
 * previous key's slot — the old value during a grace period, otherwise removed if it was in use.
 */
export function rotationChanges(
  key: string,
  newValue: string,
  oldValue: string | undefined,
  grace: boolean,
  current: ReadonlyMap<string, string>,
): Map<string, string | null> {
  const changes = new Map<string, string | null>([[key, newValue]]);
  if (key !== API_KEY) return changes;
  if (grace && oldValue !== undefined && oldValue !== newValue) changes.set(PREVIOUS_API_KEY, oldValue);
  else if (!grace && current.has(PREVIOUS_API_KEY)) changes.set(PREVIOUS_API_KEY, null);
  return changes;
}

interface PushFailureContext {
  options: RotateOptions;
  client: Client;
  key: string;
  newValue: string;
  oldValue: string | undefined;
  resumed: boolean;
  pendingPath: string;
}

/** Says exactly where the live value is after a failed push, and cleans up when nothing can have changed. */
async function pushFailure(error: unknown, context: PushFailureContext): Promise<FleetError> {
  const { options, client, key } = context;
  const fileName = basename(client.secretsPath);
  const reason = error instanceof Error ? error.message : String(error);
  const definitelyNotApplied = isCloudflareApiError(error) && error.applied === 'no';
  if (definitelyNotApplied && !context.resumed) {
    await clearPendingRotation(options.fleet.dir, client.name);
    return new FleetError(
      `${client.name}: pushing the new ${key} failed; nothing changed — the worker and ${fileName} still have the previous value`,
      {
        hint: `${reason}${isCloudflareApiError(error) && error.hint ? ` — ${error.hint}` : ''}`,
      },
    );
  }
  let live = `either the previous ${key} (in ${fileName}) or the new one (kept in ${context.pendingPath})`;
  if (key === API_KEY) {
    // One look, to say which one the worker uses right now; the record stays either way, since a lost answer may still land.
    const url = await clientUrl(client, options.api.target, new Map()).then(
      (entry) => entry.url,
      () => undefined,
    );
    if (url) {
      const [fresh, previous] = await Promise.all([
        keyAccepted(url, context.newValue, { timeoutMs: 5_000, label: 'with the new key' }),
        context.oldValue === undefined
          ? Promise.resolve(undefined)
          : keyAccepted(url, context.oldValue, { timeoutMs: 5_000, label: 'with the previous key' }),
      ]);
      if (fresh.accepted) live = `the new ${key} (kept in ${context.pendingPath}; not yet in ${fileName})`;
      else if (previous?.accepted) live = `the previous ${key} (in ${fileName}) for now`;
    }
  }
  return new FleetError(`${client.name}: pushing the new ${key} failed (${reason}); the worker has ${live}`, {
    hint: `Re-run mcp-fleet secrets rotate ${client.name}${key === API_KEY ? '' : ` --key ${key}`} to finish: it pushes that same new value again and saves it.`,
  });
}
