import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';
import type { Env } from './env';
import { type AuthMode, authModes, type Identity } from './identity';
import { sameSecret } from './same-secret';

/**
 * The credentials a caller can show on /mcp without OAuth: the client's bearer key (mode `key`,
 * as `Authorization: Bearer` or, when ACCEPT_SECRET_HEADER is set, as `X-MCP-Secret`) and a
 * per-person token mcp-fleet signed (mode `jwt`). OAuth tokens are checked by the OAuth provider
 * (./oauth/), which hands this module any bearer token it did not issue.
 */

/** Clock skew a token's exp and nbf are allowed: at most a minute either way. */
const MAX_SKEW_SECONDS = 60;
/** The only signature algorithm a token may name: the signing key is Ed25519 (never none, never HS*). */
const ALGORITHMS = ['EdDSA'];
export const TOKEN_TYPE = 'at+jwt';

/** The worker's own URL (scheme, host, port): the issuer of its tokens; `<origin>/mcp` is their audience. */
export function ownOrigin(request: Request): string {
  return new URL(request.url).origin;
}

/**
 * Who a bearer value belongs to, or undefined when it is no credential of this client in any mode
 * it enables. Both key comparisons always run, so timing does not tell which one matched.
 */
export async function identifyBearer(token: string, request: Request, env: Env): Promise<Identity | undefined> {
  const modes = authModes(env);
  if (modes.has('key')) {
    const subject = await matchKey(token, env);
    if (subject) return identity(env, subject, 'key');
  }
  if (modes.has('jwt') && looksLikeJwt(token)) return verifyToken(token, request, env);
  return undefined;
}

/** Which of the client's keys this is: "key" (API_KEY) or "key:previous" (API_KEY_PREVIOUS, during a grace). */
async function matchKey(presented: string, env: Env): Promise<string | undefined> {
  const expected = env.API_KEY;
  if (typeof expected !== 'string' || expected.length === 0) return undefined;
  const previous = env.API_KEY_PREVIOUS;
  const [current, old] = await Promise.all([
    sameSecret(presented, expected),
    typeof previous === 'string' && previous.length > 0 ? sameSecret(presented, previous) : Promise.resolve(false),
  ]);
  return current ? 'key' : old ? 'key:previous' : undefined;
}

function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

async function verifyToken(token: string, request: Request, env: Env): Promise<Identity | undefined> {
  const keys = publicKeys(env);
  if (!keys) return undefined;
  const origin = ownOrigin(request);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: origin,
      audience: `${origin}/mcp`,
      algorithms: ALGORITHMS,
      typ: TOKEN_TYPE,
      clockTolerance: MAX_SKEW_SECONDS,
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    }));
  } catch (error) {
    // The reason, never the token: expired, wrong audience, bad signature.
    console.warn(`auth: token refused (${error instanceof errors.JOSEError ? error.code : 'malformed'})`);
    return undefined;
  }
  const subject = String(payload.sub);
  if (payload.client !== undefined && payload.client !== env.CLIENT_ID) return undefined;
  if (await isRevoked(env, String(payload.jti), subject, Number(payload.iat))) {
    console.warn('auth: token refused (revoked)');
    return undefined;
  }
  return identity(env, subject, 'jwt');
}

function publicKeys(env: Env): ReturnType<typeof createLocalJWKSet> | undefined {
  const text = env.JWT_PUBLIC_KEYS;
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
  } catch {
    console.warn('auth: JWT_PUBLIC_KEYS is not a JSON Web Key Set');
    return undefined;
  }
}

/**
 * Revocations live in the client's KV namespace, written by `mcp-fleet tokens revoke`:
 * `revoked:jti:<jti>` refuses one token, `revoked:sub:<subject>` (its value the revocation time,
 * in seconds) refuses every token that person was issued up to then. Without the namespace no
 * token is trusted: a worker that cannot check revocations stays closed.
 */
async function isRevoked(env: Env, jti: string, subject: string, issuedAt: number): Promise<boolean> {
  const kv = env.OAUTH_KV;
  if (!kv) return true;
  const [byId, bySubject] = await Promise.all([kv.get(`revoked:jti:${jti}`), kv.get(`revoked:sub:${subject}`)]);
  if (byId !== null) return true;
  return bySubject !== null && issuedAt <= Number(bySubject);
}

export function identity(env: Env, subject: string, via: AuthMode): Identity {
  return { client: env.CLIENT_ID, subject, via };
}
