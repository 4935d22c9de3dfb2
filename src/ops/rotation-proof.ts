import { type Clock, systemClock } from '../cloudflare/pacer.js';
import { type KeyProbeResult, keyAccepted } from './verify/auth-probe.js';

export interface RotationProof {
  /** The new key opens /mcp. */
  newAccepted: boolean;
  /** The previous key is refused (undefined when there was no previous key). */
  oldRefused: boolean | undefined;
  /** During a grace period the previous key must still be accepted instead. */
  grace: boolean;
  /** Everything the rotation promised holds. */
  ok: boolean;
  detail: string;
}

/**
 * Asks the worker until the new key opens /mcp and the previous one is refused, or time runs out.
 * Cloudflare (and the local edge) apply a new secret version asynchronously, so one look is not enough.
 */
export async function proveRotation(
  url: string,
  newKey: string,
  oldKey: string | undefined,
  options: { timeoutMs: number; clock?: Clock; intervalMs?: number; grace?: boolean },
): Promise<RotationProof> {
  const clock = options.clock ?? systemClock;
  const grace = options.grace ?? false;
  const deadline = clock.now() + options.timeoutMs;
  let fresh: KeyProbeResult;
  let previous: KeyProbeResult | undefined;
  const oldAsPromised = (probe: KeyProbeResult | undefined): boolean => probe === undefined || (grace ? probe.accepted : probe.refused);
  for (;;) {
    [fresh, previous] = await Promise.all([
      keyAccepted(url, newKey, { timeoutMs: 5_000, label: 'with the new key' }),
      oldKey === undefined ? Promise.resolve(undefined) : keyAccepted(url, oldKey, { timeoutMs: 5_000, label: 'with the previous key' }),
    ]);
    if ((fresh.accepted && oldAsPromised(previous)) || clock.now() >= deadline) break;
    await clock.sleep(options.intervalMs ?? 500);
  }
  const ok = fresh.accepted && oldAsPromised(previous);
  const problems = [
    fresh.accepted ? undefined : `does not accept the new key (${fresh.detail})`,
    oldAsPromised(previous)
      ? undefined
      : grace
        ? `no longer accepts the previous key during the grace period (${previous?.detail})`
        : `still accepts the previous key (${previous?.detail})`,
  ].filter((text): text is string => text !== undefined);
  const promise = grace
    ? 'accepts the new key and, until `secrets retire`, the previous one'
    : 'accepts the new key and refuses the previous one';
  return {
    newAccepted: fresh.accepted,
    oldRefused: previous === undefined ? undefined : previous.refused,
    grace,
    ok,
    detail: problems.length ? problems.join(' and ') : `${promise} (${fresh.detail}${previous ? `; ${previous.detail}` : ''})`,
  };
}
