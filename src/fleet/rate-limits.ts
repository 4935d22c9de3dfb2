import type { WranglerConfig, WranglerEnv } from '../config/wrangler-config.js';

/**
 * A client's rate limit: the one place its defaults live. `add` writes it and `upgrade-config`
 * completes older sections with it (ops/project/client-section.ts); the worker template enforces it
 * with the Workers Rate Limiting binding and reports it from the RATE_LIMIT var beside it.
 */

/** The binding's name in env (the template's `env.RATE_LIMITER`). */
export const RATE_LIMIT_BINDING = 'RATE_LIMITER';
/** The var that tells the worker what the binding enforces ("<limit>/<period>"), for its 429's headers. */
export const RATE_LIMIT_VAR = 'RATE_LIMIT';
/** Cloudflare's Rate Limiting counts over 10 or 60 seconds, nothing else. */
export const RATE_LIMIT_PERIODS: readonly number[] = [10, 60];
/** Calls to /mcp per caller (and tool) per period, for a client whose section says nothing else. */
// High enough for a customer's whole team on the shared key (an MCP tool call is a few requests),
// low enough to stop a runaway agent within a minute; an operator tightens it per client.
export const DEFAULT_RATE_LIMIT = { limit: 600, period: 60 } as const;
/** Namespace ids are positive integers; ours start here, leaving the low ones to hand-written sections. */
const FIRST_NAMESPACE_ID = 1001;

export interface RateLimitEntry {
  name: string;
  namespace_id: string;
  simple: { limit: number; period: number };
}

export function rateLimitEntry(namespaceId: string, setting: { limit: number; period: number } = DEFAULT_RATE_LIMIT): RateLimitEntry {
  return { name: RATE_LIMIT_BINDING, namespace_id: namespaceId, simple: { limit: setting.limit, period: setting.period } };
}

/** The RATE_LIMIT var's value for an entry: what the worker reports in X-RateLimit-Limit and Retry-After. */
export function rateLimitVar(entry: RateLimitEntry): string {
  return `${entry.simple.limit}/${entry.simple.period}`;
}

/** The section's RATE_LIMITER entry, if it has one. */
export function rateLimitOf(section: WranglerEnv): RateLimitEntry | undefined {
  return section.ratelimits?.find((entry) => entry.name === RATE_LIMIT_BINDING);
}

/**
 * The namespace id for a new section: one past the highest the project uses (from 1001), so no two
 * sections share one and a removed client's id is not handed to the next (its counters would carry over).
 */
export function nextNamespaceId(config: WranglerConfig): string {
  const sections = [config, ...Object.values(config.env ?? {})];
  let highest = FIRST_NAMESPACE_ID - 1;
  for (const section of sections) {
    for (const entry of Array.isArray(section.ratelimits) ? section.ratelimits : []) {
      const id = Number(entry.namespace_id);
      if (Number.isSafeInteger(id) && id > highest) highest = id;
    }
  }
  return String(highest + 1);
}
