import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The User-Agent of every request mcp-fleet itself sends a worker (verify's checks, a deploy's wait
 * for the new version, a rotation's proof). The template's worker records it in its data points
 * (blob5 "verify"), so that `metrics` counts a client's callers and not mcp-fleet's checks.
 */
export const PROBE_USER_AGENT = 'mcp-fleet-verify/1';

export const PROBE_HEADERS: Readonly<Record<string, string>> = { 'user-agent': PROBE_USER_AGENT };

/** Cloudflare's version override for a gradual deployment: `<worker>="<version id>"` sends the request to that version. */
export const VERSION_OVERRIDES_HEADER = 'cloudflare-workers-version-overrides';

export interface VersionPin {
  worker: string;
  versionId: string;
}

/**
 * While a worker's traffic is split (a ramp step, a dark launch), a check that lands on either
 * version proves nothing about the new one. Checks run inside withVersionPin send the override
 * header, so every request of theirs is answered by the pinned version. Carried by async context
 * rather than through every probe's signature: whatever a client's checks call, they are pinned.
 */
const pins = new AsyncLocalStorage<VersionPin>();

export function withVersionPin<T>(pin: VersionPin | undefined, run: () => Promise<T>): Promise<T> {
  return pin === undefined ? run() : pins.run(pin, run);
}

/** The headers of a probe: the User-Agent, and the version override when the checks are pinned. */
export function probeHeaders(): Record<string, string> {
  const pin = pins.getStore();
  // Version ids are UUIDs; a quote in one would break the structured header, so it is never sent.
  if (pin === undefined || !/^[A-Za-z0-9-]+$/.test(pin.versionId)) return { ...PROBE_HEADERS };
  return { ...PROBE_HEADERS, [VERSION_OVERRIDES_HEADER]: `${pin.worker}="${pin.versionId}"` };
}
