import type { Env } from '../env';

/** An hour: long enough for a working session, short enough that a stolen token soon dies. */
const DEFAULT_ACCESS_TTL = 3600;
/** Thirty days: after that a person signs in again. */
const DEFAULT_REFRESH_TTL = 30 * 86400;
/** The provider refuses less (KV's minimum expiration). */
const MIN_TTL = 60;

/** A lifetime var in seconds, or the default when it is absent or not a whole number of at least a minute. */
function seconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value.trim());
  if (!Number.isInteger(parsed) || parsed < MIN_TTL) {
    console.warn(`oauth: ${name} must be a whole number of seconds, at least ${MIN_TTL}; using ${fallback}`);
    return fallback;
  }
  return parsed;
}

export function tokenLifetimes(env: Env): { accessTokenTTL: number; refreshTokenTTL: number } {
  return {
    accessTokenTTL: seconds(env.OAUTH_ACCESS_TTL, DEFAULT_ACCESS_TTL, 'OAUTH_ACCESS_TTL'),
    refreshTokenTTL: seconds(env.OAUTH_REFRESH_TTL, DEFAULT_REFRESH_TTL, 'OAUTH_REFRESH_TTL'),
  };
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Lowercase email domains, without '@'. */
  domains: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Cleartext is fine only where it never leaves the machine (a test or local identity provider). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Federated sign-in, when it is fully configured: an https issuer (http only on loopback), this
 * worker's credentials there, and at least one allowed domain or group. Anything less and the
 * consent page does not offer it: an issuer with no allow-list would let anyone with an account in.
 */
export function oidcSettings(env: Env): OidcSettings | undefined {
  const issuer = env.OIDC_ISSUER?.trim();
  const clientId = env.OIDC_CLIENT_ID?.trim();
  const clientSecret = env.OIDC_CLIENT_SECRET;
  if (!issuer || !clientId || !clientSecret) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    console.warn('oauth: OIDC_ISSUER is not a URL; federated sign-in is off');
    return undefined;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    console.warn('oauth: OIDC_ISSUER must use https; federated sign-in is off');
    return undefined;
  }
  const domains = new Set(list(env.OIDC_ALLOWED_DOMAINS).map((d) => d.toLowerCase().replace(/^@/, '')));
  const groups = new Set(list(env.OIDC_ALLOWED_GROUPS));
  if (domains.size === 0 && groups.size === 0) {
    console.warn('oauth: OIDC_ALLOWED_DOMAINS or OIDC_ALLOWED_GROUPS is needed; federated sign-in is off');
    return undefined;
  }
  return { issuer, clientId, clientSecret, domains, groups };
}
