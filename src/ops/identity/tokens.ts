import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { SignJWT } from 'jose';
import type { KvApi } from '../../cloudflare/kv.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { parseSigningKey, SIGNING_ALG, SIGNING_KEY, signingKeyOf } from '../../secrets/jwt-keys.js';
import { usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { readRequiredSecretsFile } from '../secrets/preflight.js';
import { metadataField, requireIdentityStore } from './store.js';

/**
 * Per-person tokens (mode `jwt`): signed here with the client's private key, which never leaves
 * its secrets file; checked by the worker against the public half. The client's identity
 * namespace keeps what was issued (`issued:<jti>`, its facts in the key's metadata, so a listing
 * reads no values) and what was revoked (`revoked:jti:<jti>`, `revoked:sub:<subject>`).
 */

/** The token type the worker requires (RFC 9068 access tokens): a token of another kind is not one of ours. */
export const TOKEN_TYPE = 'at+jwt';
export const TTL_RANGE = { minSeconds: 300, maxSeconds: 365 * 86_400 };
/** KV's shortest expiration; records outlive their token by this much, so a revocation is never forgotten early. */
const KV_MIN_TTL = 60;

export interface IssuedToken {
  client: string;
  subject: string;
  jti: string;
  keyId: string;
  issuedAt: string;
  expiresAt: string;
  /** Its issuer and audience: the client's own worker, so no other client's worker takes it. */
  issuer: string;
  audience: string;
}

export interface TokenRecord {
  jti: string;
  subject: string;
  issuedAt: string;
  expiresAt: string;
  revoked: boolean;
}

/** A subject as tokens carry it: an email or another id, printable, without spaces. */
export function assertSubject(subject: string): void {
  if (!/^[^\s\p{C}]{1,254}$/u.test(subject))
    throw usageError('--sub: a subject is 1 to 254 printable characters without spaces, e.g. alice@acme.example');
}

/** Signs a token for `subject` at the client's worker (`origin`), and records it: one API call. */
export async function issueToken(options: {
  fleet: Fleet;
  client: Client;
  subject: string;
  ttlSeconds: number;
  origin: string;
  kv: KvApi;
  now?: Date;
}): Promise<{ token: string; issued: IssuedToken }> {
  const { fleet, client, subject, ttlSeconds, origin, kv } = options;
  assertSubject(subject);
  const namespace = requireIdentityStore(fleet, client, 'jwt', 'tokens issue');
  const file = await readRequiredSecretsFile(fleet, client);
  const text = file.values.get(SIGNING_KEY) ?? '';
  if (text === '')
    throw usageError(
      `${basename(client.secretsPath)} has no ${SIGNING_KEY}; nothing was issued`,
      `Make one (it stays in that file): ${commandLine('auth', client.name, 'key,jwt')}`,
    );
  let kid: string;
  try {
    kid = parseSigningKey(text).kid;
  } catch (error) {
    const line = file.lines.get(SIGNING_KEY);
    throw usageError(`${basename(client.secretsPath)}${line === undefined ? '' : `:${line}`}: ${SIGNING_KEY} ${(error as Error).message}`);
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const jti = randomUUID();
  const audience = `${origin}/mcp`;
  const token = await new SignJWT({ client: client.name })
    .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: TOKEN_TYPE })
    .setIssuer(origin)
    .setAudience(audience)
    .setSubject(subject)
    .setJti(jti)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(await signingKeyOf(text));
  const issued: IssuedToken = {
    client: client.name,
    subject,
    jti,
    keyId: kid,
    issuedAt: new Date(now * 1000).toISOString(),
    expiresAt: new Date((now + ttlSeconds) * 1000).toISOString(),
    issuer: origin,
    audience,
  };
  await kv.put(namespace, `issued:${jti}`, '', {
    expirationTtl: ttlSeconds + KV_MIN_TTL,
    metadata: { sub: subject, iat: now, exp: now + ttlSeconds },
  });
  return { token, issued };
}

/** The tokens issued and not yet expired, each with whether it is revoked: one listing per prefix. */
export async function listTokens(options: { fleet: Fleet; client: Client; kv: KvApi }): Promise<TokenRecord[]> {
  const namespace = requireIdentityStore(options.fleet, options.client, 'jwt', 'tokens list');
  const [issued, revoked] = await Promise.all([options.kv.listKeys(namespace, 'issued:'), options.kv.listKeys(namespace, 'revoked:')]);
  const revokedIds = new Set(
    revoked.filter((key) => key.name.startsWith('revoked:jti:')).map((key) => key.name.slice('revoked:jti:'.length)),
  );
  const revokedSubjects = new Map<string, number>();
  for (const key of revoked)
    if (key.name.startsWith('revoked:sub:')) revokedSubjects.set(key.name.slice('revoked:sub:'.length), metaNumber(key.metadata, 'at'));
  return issued
    .map((key) => {
      const jti = key.name.slice('issued:'.length);
      const subject = metaString(key.metadata, 'sub');
      const iat = metaNumber(key.metadata, 'iat');
      return {
        jti,
        subject,
        issuedAt: new Date(iat * 1000).toISOString(),
        expiresAt: new Date(metaNumber(key.metadata, 'exp') * 1000).toISOString(),
        revoked: revokedIds.has(jti) || iat <= (revokedSubjects.get(subject) ?? -1),
      };
    })
    .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
}

/**
 * Revokes one token (by its id) or every token of a subject issued up to now. The worker reads the
 * same keys on every call, so the next call with a revoked token is refused (within KV's
 * propagation, up to 60 s on Cloudflare; at once on the local edge).
 */
export async function revokeTokens(options: {
  fleet: Fleet;
  client: Client;
  kv: KvApi;
  jti?: string;
  subject?: string;
  now?: Date;
}): Promise<{ client: string; jti?: string; subject?: string; revokedAt: string }> {
  const { fleet, client, kv } = options;
  if ((options.jti === undefined) === (options.subject === undefined))
    throw usageError('tokens revoke: give a token id or --sub <subject>, not both and not neither');
  const namespace = requireIdentityStore(fleet, client, 'jwt', 'tokens revoke');
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (options.jti !== undefined) {
    if (!/^[0-9a-f-]{36}$/.test(options.jti))
      throw usageError(`tokens revoke: "${options.jti}" is not a token id (tokens list shows them)`);
    await kv.put(namespace, `revoked:jti:${options.jti}`, String(now), { metadata: { at: now } });
  } else {
    assertSubject(options.subject as string);
    await kv.put(namespace, `revoked:sub:${options.subject}`, String(now), { metadata: { at: now } });
  }
  return {
    client: client.name,
    ...(options.jti === undefined ? {} : { jti: options.jti }),
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    revokedAt: new Date(now * 1000).toISOString(),
  };
}

function metaString(metadata: unknown, key: string): string {
  const value = metadataField(metadata, key);
  return typeof value === 'string' ? value : '';
}

function metaNumber(metadata: unknown, key: string): number {
  const value = metadataField(metadata, key);
  return typeof value === 'number' ? value : 0;
}
