import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { OAuthHost } from './oauth-host.js';
import { inviteKey, newCode, type OAuthWorkers, startOAuthWorkers } from './oauth-workers.js';
import { startTestIdp, type TestIdp } from './test-idp.js';

/**
 * What the OAuth tests share: `acme`, a worker with key, oauth and jwt on and federated sign-in at
 * a test IdP (allowed: the acme.example domain, the mcp-users group), and `keyonly`, a worker as
 * every client was before modes existed.
 */

export const API_KEY = 'acme-key-5d0e7b13c2';
/** acme's OAUTH_ACCESS_TTL var: not the default hour, so a token's lifetime shows that the var is read. */
export const ACCESS_TTL = 900;
/** acme's OAUTH_REFRESH_TTL var: a grant lives two hours. */
export const REFRESH_TTL = 7200;
/** An MCP host's loopback callback; nothing listens there, the tests read the redirect itself. */
export const REDIRECT = 'http://127.0.0.1:43117/callback';

export interface OAuthFixture {
  workers: OAuthWorkers;
  idp: TestIdp;
  /** acme's origin. */
  origin: string;
  /** An invitation the CLI would write for this email; returns its code. */
  invite(email: string, expiresAt?: number): Promise<string>;
  /** A host registered by DCR; returns it and its client_id. */
  registeredHost(metadata?: Record<string, unknown>): Promise<{ host: OAuthHost; clientId: string }>;
  /** A per-person token as `mcp-fleet tokens` signs it. */
  signJwt(subject: string): Promise<string>;
  close(): Promise<void>;
}

export async function startOAuthFixture(): Promise<OAuthFixture> {
  const idp = await startTestIdp();
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' };
  const common = { API_KEY, UPSTREAM_TOKEN: 'acme-upstream-1f2e' };
  const workers = await startOAuthWorkers([
    {
      name: 'acme',
      vars: {
        CLIENT_ID: 'acme',
        AUTH_MODES: 'key,oauth,jwt',
        ACCEPT_SECRET_HEADER: 'true',
        JWT_PUBLIC_KEYS: JSON.stringify({ keys: [publicJwk] }),
        OAUTH_ACCESS_TTL: String(ACCESS_TTL),
        OAUTH_REFRESH_TTL: String(REFRESH_TTL),
        OIDC_ISSUER: idp.issuer,
        OIDC_ALLOWED_DOMAINS: 'acme.example',
        OIDC_ALLOWED_GROUPS: 'mcp-users',
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        ...common,
      },
    },
    { name: 'keyonly', vars: { CLIENT_ID: 'keyonly', ...common } },
  ]);
  const origin = workers.url('acme');
  await idp.start(`${origin}/oidc/callback`);
  return {
    workers,
    idp,
    origin,
    async invite(email, expiresAt = Date.now() + 3_600_000) {
      const code = newCode();
      await (await workers.kv('acme')).put(inviteKey(code), JSON.stringify({ email, expiresAt }));
      return code;
    },
    async registeredHost(metadata = {}) {
      const host = new OAuthHost(origin, REDIRECT);
      const { status, body } = await host.register(metadata);
      if (status !== 201) throw new Error(`registration answered ${status}: ${JSON.stringify(body)}`);
      return { host, clientId: String(body.client_id) };
    },
    signJwt: (subject) =>
      new SignJWT({ client: 'acme' })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
        .setIssuer(origin)
        .setAudience(`${origin}/mcp`)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(privateKey),
    async close() {
      await workers.close();
      await idp.close();
    },
  };
}
