import { type Clock, systemClock } from '../util/clock.js';
import { usageError } from '../util/errors.js';
import { parseRate } from '../util/rate.js';

/**
 * Client-side pacing and retries for every Cloudflare API call mcp-fleet makes.
 *
 * Cloudflare allows 1200 requests per 5 minutes per token and answers the next one with 429 and
 * a 5-minute block, so a fleet-wide command must budget its calls rather than discover the
 * limit. One Pacer per process is shared by every command and every SDK client (see
 * sharedPacer()); wrangler children are charged up front through acquire(cost).
 */

export interface RateLimit {
  /** Requests allowed in any window of `windowMs`. */
  requests: number;
  windowMs: number;
}

/** Cloudflare's documented per-token limit. */
export const CLOUDFLARE_RATE_LIMIT: RateLimit = { requests: 1200, windowMs: 300_000 };
/** Cloudflare also limits 200 requests/s per IP; half of it leaves room for other tools on the machine. */
export const BURST_LIMIT: RateLimit = { requests: 100, windowMs: 1_000 };

export const RATE_LIMIT_ENV = 'MCP_FLEET_RATE_LIMIT';

/** Parses `N/SECONDS` (e.g. `1200/300`), as given to --rate-limit or MCP_FLEET_RATE_LIMIT. */
export function parseRateLimit(text: string, source: string): RateLimit {
  const rate = parseRate(text);
  if (!rate) {
    throw usageError(
      `${source}: "${text}" is not a rate limit`,
      "Write it as REQUESTS/SECONDS, e.g. 1200/300 (Cloudflare's limit per token).",
    );
  }
  return { requests: rate.requests, windowMs: Math.round(rate.seconds * 1000) };
}

export interface PacerStats {
  /** Request slots handed out (a wrangler deploy counts as its reserved cost). */
  granted: number;
  /** Times a caller had to wait for the window or a 429 pause. */
  waits: number;
  waitedMs: number;
  retries: number;
  rateLimited: number;
}

/**
 * Sliding-window log over one or more limits: a slot is granted only when every window has room.
 * Grants are FIFO, so one big reservation is not starved by a stream of single requests.
 */
export class Pacer {
  readonly limits: readonly RateLimit[];
  private readonly clock: Clock;
  /** Grant times, oldest first; a grant of cost n appears n times. */
  private log: number[] = [];
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  readonly stats: PacerStats = { granted: 0, waits: 0, waitedMs: 0, retries: 0, rateLimited: 0 };

  constructor(limits: readonly RateLimit[], clock: Clock = systemClock) {
    if (limits.length === 0) throw new Error('a pacer needs at least one limit');
    this.limits = limits;
    this.clock = clock;
  }

  /** Waits until `cost` requests may be sent now without exceeding any limit, then records them. */
  acquire(cost = 1, signal?: AbortSignal): Promise<void> {
    const capped = Math.min(Math.max(1, Math.ceil(cost)), ...this.limits.map((limit) => limit.requests));
    const turn = this.queue.then(() => this.take(capped, signal));
    // A caller that gives up (abort) must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** After a 429, nobody sends until the server's Retry-After has passed: the block is per token, not per request. */
  pauseUntil(time: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, time);
    this.stats.rateLimited++;
  }

  noteRetry(): void {
    this.stats.retries++;
  }

  /** How long a grant of `cost` would have to wait now (0 when it could go at once). */
  delayFor(cost: number, now = this.clock.now()): number {
    this.prune(now);
    let until = Math.max(now, this.pausedUntil);
    for (const limit of this.limits) {
      const inWindow = this.countSince(until - limit.windowMs);
      const excess = inWindow + cost - limit.requests;
      if (excess > 0) {
        // The window has room once the `excess` oldest grants inside it have aged out.
        const firstInWindow = this.log.length - inWindow;
        const freeing = this.log[firstInWindow + excess - 1] ?? until;
        until = Math.max(until, freeing + limit.windowMs);
      }
    }
    return until - now;
  }

  private async take(cost: number, signal?: AbortSignal): Promise<void> {
    let waited = false;
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      const delay = this.delayFor(cost, now);
      if (delay <= 0) {
        for (let i = 0; i < cost; i++) this.log.push(now);
        this.stats.granted += cost;
        return;
      }
      if (!waited) this.stats.waits++;
      waited = true;
      this.stats.waitedMs += delay;
      // Loop after sleeping: a 429 pause may have been set meanwhile.
      await this.clock.sleep(delay, signal);
    }
  }

  private countSince(start: number): number {
    // The log is sorted; count entries strictly after `start` (those at `start` have aged out).
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.log[mid] as number) <= start) lo = mid + 1;
      else hi = mid;
    }
    return this.log.length - lo;
  }

  private prune(now: number): void {
    const longest = Math.max(...this.limits.map((limit) => limit.windowMs));
    let drop = 0;
    while (drop < this.log.length && (this.log[drop] as number) <= now - longest) drop++;
    if (drop > 0) this.log = this.log.slice(drop);
  }
}

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the request fails and says when to re-run. */
  maxRetryAfterMs: number;
  /** Per attempt; the SDK's own timeout is set far above the whole retry sequence. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 7,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 330_000,
  attemptTimeoutMs: 60_000,
};

export const ATTEMPTS_ENV = 'MCP_FLEET_API_ATTEMPTS';

/** The retry policy, with MCP_FLEET_API_ATTEMPTS (1–20) overriding the attempts: 1 fails fast, e.g. in CI. */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const raw = env[ATTEMPTS_ENV];
  if (raw === undefined || raw === '') return DEFAULT_RETRY_POLICY;
  const attempts = Number(raw);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) {
    throw usageError(`${ATTEMPTS_ENV}=${raw}: expected a whole number from 1 to 20`);
  }
  return { ...DEFAULT_RETRY_POLICY, maxAttempts: attempts };
}

/** Methods that may be sent again after a connection error or 5xx: our calls are all idempotent by these verbs. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Retry-After as milliseconds (seconds or an HTTP date; also Cloudflare-style `retry-after-ms`), undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": never zero, never in lockstep with other clients. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface PacedFetchOptions {
  pacer: Pacer;
  policy?: RetryPolicy;
  fetch?: FetchLike;
  clock?: Clock;
  random?: () => number;
}

/**
 * A fetch that waits for the pacer before every attempt and retries 408/429/5xx and connection
 * errors with backoff, honouring Retry-After. It is the only retry policy: the SDK gets
 * maxRetries 0. After the last attempt the last response is returned as is, so the SDK turns it
 * into its typed error with Cloudflare's codes.
 */
export function pacedFetch(options: PacedFetchOptions): FetchLike {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const { pacer } = options;

  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const callerSignal = init?.signal ?? undefined;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= policy.maxAttempts;
      await pacer.acquire(1, callerSignal);
      const signal = callerSignal
        ? AbortSignal.any([callerSignal, AbortSignal.timeout(policy.attemptTimeoutMs)])
        : AbortSignal.timeout(policy.attemptTimeoutMs);
      let response: Response;
      try {
        response = await baseFetch(input, { ...init, signal });
      } catch (error) {
        if (callerSignal?.aborted || last || !IDEMPOTENT.has(method)) throw error;
        pacer.noteRetry();
        await clock.sleep(backoffMs(attempt, policy, random), callerSignal);
        continue;
      }
      if (!isRetryableStatus(response.status) || last) return response;
      // A 5xx on a non-idempotent call may have been applied; only a 429 is known not to have been.
      if (response.status !== 429 && !IDEMPOTENT.has(method)) return response;
      const now = clock.now();
      const after = retryAfterMs(response.headers, now);
      if (after !== undefined && after > policy.maxRetryAfterMs) return response;
      const delay = after ?? backoffMs(attempt, policy, random);
      if (response.status === 429) pacer.pauseUntil(now + delay);
      await response.body?.cancel().catch(() => undefined);
      pacer.noteRetry();
      // Under a 429 the pacer holds everyone (this caller included) until the pause ends.
      if (response.status !== 429) await clock.sleep(delay, callerSignal);
    }
  };
}

let shared: Pacer | undefined;
let sharedLimit: RateLimit | undefined;

/**
 * The process-wide pacer. The budget comes from --rate-limit (passed here), else
 * MCP_FLEET_RATE_LIMIT, else Cloudflare's 1200 per 5 minutes. The first call fixes it.
 */
export function sharedPacer(options: { rateLimit?: string; env?: NodeJS.ProcessEnv } = {}): Pacer {
  if (shared) {
    if (options.rateLimit !== undefined) {
      const asked = parseRateLimit(options.rateLimit, '--rate-limit');
      if (sharedLimit && (asked.requests !== sharedLimit.requests || asked.windowMs !== sharedLimit.windowMs)) {
        throw new Error('the process-wide pacer was already configured with another rate limit');
      }
    }
    return shared;
  }
  const env = options.env ?? process.env;
  const fromEnv = env[RATE_LIMIT_ENV];
  sharedLimit =
    options.rateLimit !== undefined
      ? parseRateLimit(options.rateLimit, '--rate-limit')
      : fromEnv !== undefined && fromEnv !== ''
        ? parseRateLimit(fromEnv, RATE_LIMIT_ENV)
        : CLOUDFLARE_RATE_LIMIT;
  shared = new Pacer([sharedLimit, BURST_LIMIT]);
  return shared;
}
