import { parseDuration } from '../../../util/duration.js';
import { usageError } from '../../../util/errors.js';

/**
 * What `deploy --bake` holds a wave to: after its checks pass, the wave's new versions serve real
 * traffic for `seconds`, and each client's own figures for its new version must stay within the
 * limits. A limit given without --bake, or --bake without verification, is bad usage.
 */
export interface BakeLimits {
  seconds: number;
  /** Errors over requests, 0..1: 5xx answers on /mcp plus tool calls that failed. */
  maxErrorRate: number;
  /** p95 latency of /mcp in ms; undefined: not judged. */
  maxP95Ms: number | undefined;
  /** Fewer requests than this over the whole bake judge nothing (the wave passes, and says so). */
  minRequests: number;
}

/** Used when --bake names no --max-error-rate: a version that fails 1 call in 50 is held back. */
export const DEFAULT_MAX_ERROR_RATE = 0.02;
export const DEFAULT_MIN_REQUESTS = 50;

export interface BakeFlags {
  bake?: string | undefined;
  maxErrorRate?: string | undefined;
  maxP95?: string | undefined;
  minRequests?: string | undefined;
}

export function parseBakeLimits(flags: BakeFlags, verify: boolean): BakeLimits | undefined {
  if (flags.bake === undefined) {
    const stray = (
      [
        ['--max-error-rate', flags.maxErrorRate],
        ['--max-p95', flags.maxP95],
        ['--min-requests', flags.minRequests],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (stray) throw usageError(`${stray[0]} judges a bake: it needs --bake <duration>`, 'e.g. --bake 5m --max-error-rate 2%');
    return undefined;
  }
  if (!verify) throw usageError("--bake follows a wave's checks: it cannot be combined with --no-verify");
  return {
    seconds: parseDuration(flags.bake, '--bake', { minSeconds: 5, maxSeconds: 86_400 }),
    maxErrorRate: flags.maxErrorRate === undefined ? DEFAULT_MAX_ERROR_RATE : parseRate(flags.maxErrorRate),
    maxP95Ms: flags.maxP95 === undefined ? undefined : parseMilliseconds(flags.maxP95),
    minRequests: flags.minRequests === undefined ? DEFAULT_MIN_REQUESTS : parseCount(flags.minRequests),
  };
}

/** `2%`, `0.5%`, or a bare number read as a percentage. */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const percent = match ? Number(match[1]) : Number.NaN;
  if (!Number.isFinite(percent) || percent < 0 || percent >= 100)
    throw usageError(`--max-error-rate: "${text}" is not a percentage from 0% to below 100%`, 'e.g. --max-error-rate 2%');
  return percent / 100;
}

/** `800ms`, `1.5s`, or a bare number of milliseconds. */
export function parseMilliseconds(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  const ms = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 600_000)
    throw usageError(`--max-p95: "${text}" is not a latency from above 0 to 600s`, 'e.g. --max-p95 800ms');
  return ms;
}

function parseCount(text: string): number {
  if (!/^\s*\d{1,9}\s*$/.test(text) || Number(text) < 1)
    throw usageError(`--min-requests: "${text}" is not a whole number of at least 1`, 'e.g. --min-requests 100');
  return Number(text);
}

/** How a report states the limits: `error rate ≤ 2%, p95 ≤ 800 ms, judged from 50 requests`. */
export function describeLimits(limits: BakeLimits): string {
  return [
    `error rate ≤ ${formatRate(limits.maxErrorRate)}`,
    ...(limits.maxP95Ms === undefined ? [] : [`p95 ≤ ${limits.maxP95Ms} ms`]),
    `judged from ${limits.minRequests} requests`,
  ].join(', ');
}

export function formatRate(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}
