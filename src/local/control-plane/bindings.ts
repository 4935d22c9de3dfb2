import { errors } from '../net/envelope.js';

/** Rules for bindings that hold whether they come with an upload or through the secrets routes. */

export const MAX_BINDINGS = 128;
const MAX_SECRET_BYTES = 5 * 1024;
/** A binding becomes a property of `env`, so its name must be a JavaScript identifier. */
export const BINDING_NAME_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function checkSecretSize(name: string, text: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_SECRET_BYTES)
    throw errors.badRequest(`Secret "${name}" is larger than ${MAX_SECRET_BYTES} bytes`);
}

/** Cloudflare's Rate Limiting binding counts over one of two windows. */
export const RATE_LIMIT_PERIODS = [10, 60] as const;

/** A type, not an interface: it is stored as a Binding, whose fields are open. */
export type RateLimitBinding = {
  type: 'ratelimit';
  name: string;
  namespace_id: string;
  simple: { limit: number; period: (typeof RATE_LIMIT_PERIODS)[number] };
};

/**
 * A `ratelimit` upload binding, checked as Cloudflare's schema checks it: a namespace id (a positive
 * integer, as a string) and a simple limit of a positive whole number of calls per 10 or 60 seconds.
 */
export function rateLimitBinding(raw: Record<string, unknown> & { name: string }): RateLimitBinding {
  const id = raw.namespace_id;
  if (typeof id !== 'string' || !/^[1-9]\d*$/.test(id))
    throw errors.badRequest(`Binding "${raw.name}": ratelimit needs "namespace_id", a positive integer as a string`);
  const simple = raw.simple as { limit?: unknown; period?: unknown } | undefined;
  const limit = simple?.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)
    throw errors.badRequest(`Binding "${raw.name}": ratelimit needs "simple.limit", a positive integer`);
  const period = simple?.period;
  if (period !== 10 && period !== 60) throw errors.badRequest(`Binding "${raw.name}": ratelimit "simple.period" must be 10 or 60`);
  return { type: 'ratelimit', name: raw.name, namespace_id: id, simple: { limit, period } };
}
