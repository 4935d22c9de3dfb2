import { z } from 'zod';

/**
 * Fault injection for the control plane: latency on every API answer, a fraction answered with 5xx,
 * a throttle (Cloudflare's rate limiting, played by the edge) answered with 429 + Retry-After, and a
 * deterministic "fail the next N". Settable at start (CLI flags) and at run time (PUT /__edge/faults).
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
});
export type FaultSettings = z.infer<typeof FaultSettingsSchema>;

/** A partial update, as PUT /__edge/faults takes it. */
export const FaultPatchSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  throttle: ThrottleLimitSchema.nullable().optional(),
  failNext: z.number().int().min(0).optional(),
  propagationMs: z.number().int().min(0).max(600_000).optional(),
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

  constructor(
    initial: Partial<FaultSettings> = {},
    private readonly random: () => number = Math.random,
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
    return this.settings;
  }

  /** Decides the fate of one API request (counts it against the throttle). */
  decide(): FaultDecision {
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
    if (errorRate > 0 && this.random() < errorRate) return { kind: 'error', latencyMs, status: 500 };
    return { kind: 'pass', latencyMs };
  }
}
