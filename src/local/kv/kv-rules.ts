import { errors } from '../net/envelope.js';

/** Workers KV's limits and checks, as Cloudflare applies them to the API (and Miniflare to bindings). */

export const MAX_KEY_BYTES = 512;
export const MAX_VALUE_BYTES = 25 * 1024 * 1024;
export const MAX_METADATA_BYTES = 1024;
export const MIN_EXPIRATION_TTL = 60;
/** Keys per bulk write or delete. */
export const MAX_BULK = 10_000;
export const MAX_LIST_LIMIT = 1000;
export const MIN_LIST_LIMIT = 10;
export const MAX_TITLE_CHARS = 512;

export function checkKey(key: string): void {
  if (key === '') throw errors.badRequest('Key names must not be empty');
  if (key === '.' || key === '..') throw errors.badRequest(`Illegal key name "${key}". Please use a different name.`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw errors.badRequest(`UTF-8 encoded length of ${bytes} exceeds key length limit of ${MAX_KEY_BYTES}.`);
}

export function checkValue(bytes: number): void {
  if (bytes > MAX_VALUE_BYTES) throw errors.badRequest(`Value length of ${bytes} exceeds limit of ${MAX_VALUE_BYTES}.`);
}

export function checkMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > MAX_METADATA_BYTES) throw errors.badRequest(`Metadata length of ${bytes} exceeds limit of ${MAX_METADATA_BYTES}.`);
}

export interface Expiry {
  expiration?: number;
  expirationTtl?: number;
}

/** `expiration` (seconds since the epoch) and `expiration_ttl` (seconds from now), each at least 60 s ahead. */
export function checkExpiry(rawExpiration: unknown, rawTtl: unknown, nowSeconds = Math.floor(Date.now() / 1000)): Expiry {
  const out: Expiry = {};
  if (rawTtl !== undefined && rawTtl !== null && rawTtl !== '') {
    const ttl = Number(rawTtl);
    if (!Number.isInteger(ttl) || ttl <= 0)
      throw errors.badRequest(`Invalid expiration_ttl of ${String(rawTtl)}. Please specify integer greater than 0.`);
    if (ttl < MIN_EXPIRATION_TTL)
      throw errors.badRequest(`Invalid expiration_ttl of ${String(rawTtl)}. Expiration TTL must be at least ${MIN_EXPIRATION_TTL}.`);
    out.expirationTtl = ttl;
  }
  if (rawExpiration !== undefined && rawExpiration !== null && rawExpiration !== '') {
    const at = Number(rawExpiration);
    if (!Number.isInteger(at) || at <= 0)
      throw errors.badRequest(
        `Invalid expiration of ${String(rawExpiration)}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
      );
    if (at < nowSeconds + MIN_EXPIRATION_TTL)
      throw errors.badRequest(
        `Invalid expiration of ${String(rawExpiration)}. Expiration times must be at least ${MIN_EXPIRATION_TTL} seconds in the future.`,
      );
    // Cloudflare takes the TTL when both are given.
    if (out.expirationTtl === undefined) out.expiration = at;
  }
  return out;
}

export function checkTitle(title: unknown): string {
  if (typeof title !== 'string' || title.trim() === '') throw errors.badRequest('A namespace needs a "title" (a non-empty string)');
  if (title.length > MAX_TITLE_CHARS) throw errors.badRequest(`A namespace title is at most ${MAX_TITLE_CHARS} characters`);
  return title;
}
