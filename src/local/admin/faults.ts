import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Fault injection for the control plane: latency on every API answer, a fraction answered with 5xx,
 * a throttle (Cloudflare's rate limiting, played by the edge) answered with 429 + Retry-After, and a
 * "fail the next N". Settable at start (CLI flags) and at run time (PUT /__edge/faults).
 *
 * Nothing here is left to chance: whether a request is answered with an injected 5xx is a function
 * of the seed, the request (method and path) and how many times that request was made since the
 * error rate was set. A client's retries of its own request therefore meet the same answers however
 * the fleet's requests interleave, so a test at 30 % errors has one outcome, every run.
 */

/**
 * The injected 429 limit: more than `limit` API requests in a window of `windowSeconds` are refused.
 * Not the client's own API budget (that is the pacer's, in cloudflare/).
 */
const ThrottleLimitSchema = z.object({
  limit: z.number().int().positive(),
  windowSeconds: z.number().positive(),
});

export const FaultSettingsSchema = z.object({
  latencyMs: z.number().int().min(0).max(600_000).default(0),
  errorRate: z.number().min(0).max(1).default(0),
  throttle: ThrottleLimitSchema.nullable().default(null),
  /** The next N API requests answer 503, whatever errorRate says. */
  failNext: z.number().int().min(0).default(0),
  /** A deployment takes effect this long after the API answered it (the old code answers meanwhile). */
  propagationMs: z.number().int().min(0).max(600_000).default(0),
  /** Picks which requests errorRate fails (another seed, another script of failures). */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(0),
});
export type FaultSettings = z.infer<typeof FaultSettingsSchema>;

/** A partial update, as PUT /__edge/faults takes it. */
export const FaultPatchSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  throttle: ThrottleLimitSchema.nullable().optional(),
  failNext: z.number().int().min(0).optional(),
  propagationMs: z.number().int().min(0).max(600_000).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
});
export type FaultPatch = z.infer<typeof FaultPatchSchema>;

export type FaultDecision =
  | { kind: 'pass'; latencyMs: number }
  | { kind: 'error'; latencyMs: number; status: number }
  | { kind: 'rate-limited'; latencyMs: number; retryAfterSeconds: number };

export class Faults {
  private settings: FaultSettings;
  private windowStart = 0;
  private windowCount = 0;
  /** How many times each request was decided on since errorRate or seed was last set. */
  private asked = new Map<string, number>();

  constructor(
    initial: Partial<FaultSettings> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = FaultSettingsSchema.parse(initial);
  }

  get current(): FaultSettings & { window: { count: number; resetsInMs: number } | null } {
    const { throttle } = this.settings;
    const window = throttle
      ? { count: this.windowCount, resetsInMs: Math.max(0, this.windowStart + throttle.windowSeconds * 1000 - this.now()) }
      : null;
    return { ...this.settings, window };
  }

  update(patch: FaultPatch): FaultSettings {
    const throttleChanged = patch.throttle !== undefined;
    this.settings = FaultSettingsSchema.parse({ ...this.settings, ...patch });
    if (throttleChanged) {
      this.windowStart = 0;
      this.windowCount = 0;
    }
    // A new rate or seed starts its script from the top: a test that sets it meets the same failures alone or after others.
    if (patch.errorRate !== undefined || patch.seed !== undefined) this.asked = new Map();
    return this.settings;
  }

  /**
   * Decides the fate of one API request, named by method and path (counts it against the throttle).
   * Ids the edge made up (the account's, versions', deployments') differ from edge to edge: they
   * are left out of the name, so that a script of failures is the same on every edge.
   */
  decide(method = 'GET', path = '/'): FaultDecision {
    const request = `${method} ${path.split('/').map(anonymousId).join('/')}`;
    const { latencyMs, errorRate, throttle } = this.settings;
    if (throttle) {
      const now = this.now();
      const windowMs = throttle.windowSeconds * 1000;
      if (now - this.windowStart >= windowMs) {
        this.windowStart = now;
        this.windowCount = 0;
      }
      this.windowCount += 1;
      if (this.windowCount > throttle.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((this.windowStart + windowMs - now) / 1000));
        return { kind: 'rate-limited', latencyMs, retryAfterSeconds };
      }
    }
    if (this.settings.failNext > 0) {
      this.settings = { ...this.settings, failNext: this.settings.failNext - 1 };
      return { kind: 'error', latencyMs, status: 503 };
    }
    if (errorRate > 0) {
      const nth = this.asked.get(request) ?? 0;
      this.asked.set(request, nth + 1);
      if (scriptedChance(this.settings.seed, request, nth) < errorRate) return { kind: 'error', latencyMs, status: 500 };
    }
    return { kind: 'pass', latencyMs };
  }
}

/** A path segment the edge generated (32 hex characters, a UUID) as `:id`; names as they are. */
function anonymousId(segment: string): string {
  return /^[0-9a-f]{16,}$/i.test(segment) || /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(segment) ? ':id' : segment;
}

/** A number in [0, 1) fixed by the seed, the request and which time it is asked (SHA-256: evenly spread, no state). */
export function scriptedChance(seed: number, request: string, nth: number): number {
  const digest = createHash('sha256').update(`${seed}\0${request}\0${nth}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}
