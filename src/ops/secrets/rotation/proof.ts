import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { API_KEY, PREVIOUS_API_KEY } from '../../../fleet/fleet.js';
import { readSecretsFile } from '../../../secrets/secrets-file.js';
import { type Clock, systemClock } from '../../../util/clock.js';
import { mapWithConcurrency } from '../../../util/concurrency.js';
import { describeError } from '../../../util/errors.js';
import { statePaths } from '../../../util/state-dir.js';
import { TIMEOUT_MS } from '../../../util/timeouts.js';
import { type KeyProbeResult, keyAccepted } from '../../verify/auth-probe.js';

export interface RotationProof {
  /** The new key opens /mcp. */
  newAccepted: boolean;
  /** The previous key is refused (undefined when there was no previous key). */
  oldRefused: boolean | undefined;
  /** During a grace period the previous key must still be accepted instead. */
  grace: boolean;
  /** How many earlier keys (from the client's backups) were checked. */
  staleChecked: number;
  /** Every one of them is refused (undefined when there were none). */
  staleRefused: boolean | undefined;
  /** Everything the rotation promised holds. */
  ok: boolean;
  detail: string;
}

/** A key that must no longer open the worker, and where it was found (a file name: never the key). */
export interface StaleKey {
  key: string;
  source: string;
}

/** How many stale keys are asked about at once: a long rotation history must not flood the worker. */
const STALE_PROBE_CONCURRENCY = 4;

/**
 * Asks the worker until the new key opens /mcp and the previous one is refused, or time runs out.
 * Cloudflare (and the local edge) apply a new secret version asynchronously, so one look is not enough.
 * `stale` keys (from earlier rotations) must be refused too: a worker that still holds one — say a
 * remote-only API_KEY_PREVIOUS — is open to a key the operator believes is dead.
 */
export async function proveRotation(
  url: string,
  newKey: string,
  oldKey: string | undefined,
  options: { timeoutMs: number; clock?: Clock; intervalMs?: number; grace?: boolean; stale?: readonly StaleKey[] },
): Promise<RotationProof> {
  const clock = options.clock ?? systemClock;
  const grace = options.grace ?? false;
  const stale = (options.stale ?? []).filter((entry) => entry.key !== newKey && entry.key !== oldKey);
  const deadline = clock.now() + options.timeoutMs;
  let fresh: KeyProbeResult;
  let previous: KeyProbeResult | undefined;
  let staleProbes: { entry: StaleKey; probe: KeyProbeResult }[];
  const oldAsPromised = (probe: KeyProbeResult | undefined): boolean => probe === undefined || (grace ? probe.accepted : probe.refused);
  for (;;) {
    [fresh, previous, staleProbes] = await Promise.all([
      keyAccepted(url, newKey, { timeoutMs: TIMEOUT_MS.probe, label: 'with the new key' }),
      oldKey === undefined
        ? Promise.resolve(undefined)
        : keyAccepted(url, oldKey, { timeoutMs: TIMEOUT_MS.probe, label: 'with the previous key' }),
      probeStale(url, stale),
    ]);
    const settled = fresh.accepted && oldAsPromised(previous) && staleProbes.every(({ probe }) => probe.refused);
    if (settled || clock.now() >= deadline) break;
    await clock.sleep(options.intervalMs ?? 500);
  }
  const stillOpen = staleProbes.filter(({ probe }) => !probe.refused);
  const ok = fresh.accepted && oldAsPromised(previous) && stillOpen.length === 0;
  const problems = [
    fresh.accepted ? undefined : `does not accept the new key (${fresh.detail})`,
    oldAsPromised(previous)
      ? undefined
      : grace
        ? `no longer accepts the previous key during the grace period (${previous?.detail})`
        : `still accepts the previous key (${previous?.detail})`,
    ...stillOpen.map(({ entry, probe }) => `does not refuse an earlier key from ${entry.source} (${probe.detail})`),
  ].filter((text): text is string => text !== undefined);
  const promise = grace
    ? 'accepts the new key and, until `secrets retire`, the previous one'
    : 'accepts the new key and refuses the previous one';
  const staleNote = stale.length > 0 ? `; refuses ${stale.length} earlier key${stale.length === 1 ? '' : 's'} from backups` : '';
  return {
    newAccepted: fresh.accepted,
    oldRefused: previous === undefined ? undefined : previous.refused,
    grace,
    staleChecked: stale.length,
    staleRefused: stale.length === 0 ? undefined : stillOpen.length === 0,
    ok,
    detail: problems.length ? problems.join(' and ') : `${promise}${staleNote} (${fresh.detail}${previous ? `; ${previous.detail}` : ''})`,
  };
}

async function probeStale(url: string, stale: readonly StaleKey[]): Promise<{ entry: StaleKey; probe: KeyProbeResult }[]> {
  const settled = await mapWithConcurrency(stale, STALE_PROBE_CONCURRENCY, async (entry) => ({
    entry,
    probe: await keyAccepted(url, entry.key, { timeoutMs: TIMEOUT_MS.probe, label: `with the key from ${entry.source}` }),
  }));
  // keyAccepted never throws (a failure is a result), so every entry settled with a value.
  return settled.flatMap((result) => (result.ok ? [result.value] : []));
}

/**
 * Every API key a client's backups (`.mcp-fleet/backups/<client>/*.secrets`) name, except those in
 * `keep` (the keys the secrets file names now), each once. Backups that cannot be read are
 * reported in `unreadable` (secret-free messages) instead of failing the rotation.
 */
export async function keysFromBackups(
  projectDir: string,
  client: string,
  keep: ReadonlySet<string>,
): Promise<{ stale: StaleKey[]; unreadable: string[] }> {
  const dir = statePaths.backups(projectDir, client);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.secrets') || name.endsWith('.secrets.age')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { stale: [], unreadable: [] };
    throw error;
  }
  const seen = new Set<string>();
  const stale: StaleKey[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const source = relative(projectDir, join(dir, name));
    let values: ReadonlyMap<string, string>;
    try {
      values = (await readSecretsFile(join(dir, name), { displayName: source }))?.values ?? new Map();
    } catch (error) {
      unreadable.push(`could not check the keys in ${source}: ${describeError(error)}`);
      continue;
    }
    for (const slot of [API_KEY, PREVIOUS_API_KEY]) {
      const key = values.get(slot);
      if (key === undefined || key.trim() === '' || keep.has(key) || seen.has(key)) continue;
      seen.add(key);
      stale.push({ key, source });
    }
  }
  return { stale, unreadable };
}
