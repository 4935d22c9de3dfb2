import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { TrafficShare } from './runtime.js';

/**
 * Which version of a worker answers a request, when its deployment splits traffic between two (a
 * gradual deployment), as Cloudflare decides it:
 *   1. `Cloudflare-Workers-Version-Overrides: <worker>="<version id>"` (a structured-header
 *      dictionary) sends the request to that version, if the deployment has it;
 *   2. `Cloudflare-Workers-Version-Key: <key>` (version affinity) hashes the key to a point, so one
 *      key always lands on the same version, and stays on the newer one as its share grows;
 *   3. otherwise Cloudflare draws at random. The edge draws from a fixed sequence instead, so that
 *      what a test sees never depends on chance: the n-th request (from 0) to a deployment lands at
 *      the point frac(n × 0.618…) × 100, the golden-ratio (Weyl) sequence, whose first N points
 *      spread evenly — of 1,000 requests at 10 %, exactly 100 go to that version.
 * A point in [0, 100) picks the version whose cumulative share covers it, newest version first.
 */

export const VERSION_OVERRIDES_HEADER = 'cloudflare-workers-version-overrides';
export const VERSION_KEY_HEADER = 'cloudflare-workers-version-key';

const GOLDEN_RATIO_CONJUGATE = (Math.sqrt(5) - 1) / 2;

export class TrafficSplitter {
  /** Requests routed per deployment (worker and its shares), for the sequence. */
  private readonly served = new Map<string, number>();

  /** The runtime instance that answers this request. `shares` are newest version first. */
  choose(script: string, shares: readonly TrafficShare[], headers: IncomingHttpHeaders): string | undefined {
    const [first] = shares;
    if (!first || shares.length === 1) return first?.instance;
    const overridden = overrideFor(script, headers[VERSION_OVERRIDES_HEADER]);
    const byOverride = overridden === undefined ? undefined : shares.find((share) => share.versionId === overridden);
    if (byOverride) return byOverride.instance;
    const key = headers[VERSION_KEY_HEADER];
    const point = typeof key === 'string' && key !== '' ? pointOfKey(key) : this.nextPoint(script, shares);
    return pick(shares, point);
  }

  private nextPoint(script: string, shares: readonly TrafficShare[]): number {
    const deployment = `${script} ${shares.map((share) => `${share.versionId}@${share.percentage}`).join(' ')}`;
    const n = this.served.get(deployment) ?? 0;
    // A new deployment starts its own sequence; the old ones are not needed again.
    if (n === 0) for (const known of this.served.keys()) if (known.startsWith(`${script} `)) this.served.delete(known);
    this.served.set(deployment, n + 1);
    return ((n * GOLDEN_RATIO_CONJUGATE) % 1) * 100;
  }
}

/** The version whose cumulative share covers `point` (0 ≤ point < 100), shares scaled to their total. */
function pick(shares: readonly TrafficShare[], point: number): string | undefined {
  const total = shares.reduce((sum, share) => sum + share.percentage, 0);
  let upTo = 0;
  for (const share of shares) {
    upTo += (share.percentage / total) * 100;
    if (point < upTo) return share.instance;
  }
  return shares.at(-1)?.instance;
}

/** A version key's point: the first 32 bits of its SHA-256, over 2³², times 100. */
function pointOfKey(key: string): number {
  return (createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32) * 100;
}

/**
 * The version id the header names for `script`: a dictionary of `name="value"` members (RFC 8941),
 * separated by commas. A header that does not parse, or names no version for this worker, is ignored.
 */
export function overrideFor(script: string, header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  for (const member of text.split(',')) {
    const match = /^\s*([a-z*][a-z0-9_\-.*]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:;.*)?$/.exec(member);
    if (match?.[1] === script) return match[2]?.replace(/\\(.)/g, '$1');
  }
  return undefined;
}
