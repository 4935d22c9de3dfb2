import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { normalEmail } from './people';
import { isLoopbackHost, type OidcSettings } from './settings';

/**
 * Federated sign-in at the people's own identity provider (OpenID Connect): authorization code
 * with PKCE, state (the provider's `beginUpstream`) and nonce, the id_token verified against the
 * provider's published keys. Only an email in an allowed domain, or a member of an allowed group,
 * gets a grant.
 */

export const CALLBACK_PATH = '/oidc/callback';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** What beginUpstream keeps for the callback, encrypted, never sent to the identity provider. */
export interface OidcTransaction {
  verifier: string;
  nonce: string;
}

export type OidcOutcome = { kind: 'allowed'; email: string } | { kind: 'refused'; reason: string; email?: string };

const discoveries = new Map<string, Promise<Discovery>>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function safeEndpoint(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`discovery has no ${name}`);
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new Error(`discovery ${name} is not https`);
  }
  return url.href;
}

async function fetchDiscovery(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  const doc = (await response.json()) as Record<string, unknown>;
  // The issuer must name itself exactly (OpenID Connect Discovery §4.3), or tokens could come from elsewhere.
  if (doc.issuer !== issuer) throw new Error('discovery names another issuer');
  return {
    issuer,
    authorization_endpoint: safeEndpoint(doc.authorization_endpoint, 'authorization_endpoint'),
    token_endpoint: safeEndpoint(doc.token_endpoint, 'token_endpoint'),
    jwks_uri: safeEndpoint(doc.jwks_uri, 'jwks_uri'),
  };
}

function discover(issuer: string): Promise<Discovery> {
  let found = discoveries.get(issuer);
  if (!found) {
    found = fetchDiscovery(issuer);
    // A failure is not remembered: the next sign-in tries again.
    found.catch(() => discoveries.delete(issuer));
    discoveries.set(issuer, found);
  }
  return found;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function randomValue(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export function newTransaction(): OidcTransaction {
  return { verifier: randomValue(), nonce: randomValue() };
}

/** Where to send the browser: the identity provider's authorization endpoint with this sign-in's state. */
export async function authorizationUrl(settings: OidcSettings, origin: string, state: string, tx: OidcTransaction): Promise<string> {
  const discovery = await discover(settings.issuer);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(tx.verifier))));
  const url = new URL(discovery.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', `${origin}${CALLBACK_PATH}`);
  url.searchParams.set('scope', 'openid email profile');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', tx.nonce);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.href;
}

async function exchangeCode(settings: OidcSettings, discovery: Discovery, origin: string, code: string, verifier: string): Promise<string> {
  const basic = btoa(`${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${origin}${CALLBACK_PATH}`,
      code_verifier: verifier,
    }),
  });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  const body = (await response.json()) as { id_token?: unknown };
  if (typeof body.id_token !== 'string') throw new Error('token endpoint sent no id_token');
  return body.id_token;
}

function keySet(uri: string): ReturnType<typeof createRemoteJWKSet> {
  let keys = keySets.get(uri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(uri));
    keySets.set(uri, keys);
  }
  return keys;
}

/** Redeems the identity provider's code and decides whether the person it names may in. */
export async function signedInPerson(settings: OidcSettings, origin: string, code: string, tx: OidcTransaction): Promise<OidcOutcome> {
  const discovery = await discover(settings.issuer);
  const idToken = await exchangeCode(settings, discovery, origin, code, tx.verifier);
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(idToken, keySet(discovery.jwks_uri), {
      issuer: settings.issuer,
      audience: settings.clientId,
      clockTolerance: 60,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (error) {
    return { kind: 'refused', reason: `id_token ${error instanceof errors.JOSEError ? error.code : 'malformed'}` };
  }
  if (claims.nonce !== tx.nonce) return { kind: 'refused', reason: 'id_token nonce' };
  // A token for several audiences must name us as the party it was issued to (OIDC Core §3.1.3.7).
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== settings.clientId) {
    return { kind: 'refused', reason: 'id_token azp' };
  }
  const email = typeof claims.email === 'string' ? normalEmail(claims.email) : undefined;
  if (!email) return { kind: 'refused', reason: 'no email' };
  // Many providers omit email_verified for addresses they issued themselves; an explicit false means unverified.
  if (claims.email_verified === false || claims.email_verified === 'false') return { kind: 'refused', reason: 'email not verified', email };
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [];
  if (settings.domains.has(domain) || groups.some((group) => settings.groups.has(group))) return { kind: 'allowed', email };
  return { kind: 'refused', reason: 'not in an allowed domain or group', email };
}
