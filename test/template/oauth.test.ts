import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthHost, pkce } from '../helpers/oauth-host.js';
import { type Generation, inviteKey, newCode, type OAuthWorkers, startOAuthWorkers, whoami } from '../helpers/oauth-workers.js';
import { startTestIdp, type TestIdp } from '../helpers/test-idp.js';

/**
 * The template's OAuth 2.1 (templates/project/src/platform/oauth/), end to end: the bundled worker
 * in Miniflare, an MCP host scripted with fetch, a person's browser on the consent page, and a real
 * OpenID Connect provider on loopback for federated sign-in.
 */

const API_KEY = 'acme-key-5d0e7b13c2';
const REDIRECT = 'http://127.0.0.1:43117/callback';
const GENERATIONS: readonly Generation[] = ['modern', 'legacy'];

let workers: OAuthWorkers;
let idp: TestIdp;
let origin = '';
let signJwt: (subject: string) => Promise<string>;

async function invite(email: string, expiresAt = Date.now() + 3_600_000): Promise<string> {
  const code = newCode();
  await (await workers.kv('acme')).put(inviteKey(code), JSON.stringify({ email, expiresAt }));
  return code;
}

async function registered(host: OAuthHost, metadata: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await host.register(metadata);
  expect(status, JSON.stringify(body)).toBe(201);
  return String(body.client_id);
}

beforeAll(async () => {
  idp = await startTestIdp();
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' };
  const common = { API_KEY, UPSTREAM_TOKEN: 'acme-upstream-1f2e' };
  workers = await startOAuthWorkers([
    {
      name: 'acme',
      vars: {
        CLIENT_ID: 'acme',
        AUTH_MODES: 'key,oauth,jwt',
        ACCEPT_SECRET_HEADER: 'true',
        JWT_PUBLIC_KEYS: JSON.stringify({ keys: [publicJwk] }),
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
  origin = workers.url('acme');
  await idp.start(`${origin}/oidc/callback`);
  signJwt = (subject) =>
    new SignJWT({ client: 'acme' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(origin)
      .setAudience(`${origin}/mcp`)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(privateKey);
});

afterAll(async () => {
  await workers?.close();
  await idp?.close();
});

describe('discovery', () => {
  it('a key-only worker publishes no OAuth metadata (404), so hosts keep the key they were given', async () => {
    const base = workers.url('keyonly');
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
  });

  it('/mcp without a credential answers 401 pointing at the protected-resource metadata (RFC 9728)', async () => {
    const res = await fetch(`${origin}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`);
  });

  it('serves the protected-resource metadata in both forms and the authorization-server metadata', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toMatchObject({ resource: `${origin}/mcp`, authorization_servers: [origin] });
    }
    const as = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(as).toMatchObject({
      issuer: origin,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      registration_endpoint: `${origin}/register`,
      code_challenge_methods_supported: ['S256'],
      client_id_metadata_document_supported: true,
    });
  });
});

describe('sign-in with an invitation, tokens, refresh, revocation', () => {
  const email = 'Ann@Acme.Example';
  let clientId = '';
  let host: OAuthHost;

  beforeAll(async () => {
    host = new OAuthHost(origin, REDIRECT);
    clientId = await registered(host);
  });

  it('the consent page names the client and the app asking, and cannot be framed, cached or forged', async () => {
    const form = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
    expect(form.status).toBe(200);
    expect(form.html).toContain('Sign in to acme');
    expect(form.html).toContain('Test Host');
    expect(form.headers.get('x-frame-options')).toBe('DENY');
    expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(form.headers.get('cache-control')).toContain('no-store');
    const csrfCookie = form.headers.getSetCookie().find((cookie) => cookie.startsWith('mcp-csrf='));
    expect(csrfCookie).toMatch(/SameSite=Strict/);
    expect(csrfCookie).toMatch(/HttpOnly/);
    expect(form.csrf).not.toBe('');
  });

  it('code, tokens, and whoami in both MCP generations name the person (email, lowercased) and oauth', async () => {
    const code = await invite('ann@acme.example');
    const tokens = await host.signInWithInvite(clientId, email, code);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    for (const generation of GENERATIONS) {
      expect(await whoami(origin, tokens.access_token, generation), generation).toEqual({
        client: 'acme',
        subject: 'ann@acme.example',
        via: 'oauth',
      });
    }
    const kv = await workers.kv('acme');
    expect(await kv.get(inviteKey(code))).toBeNull();
    expect(JSON.parse((await kv.get('user:ann@acme.example')) ?? '{}')).toMatchObject({ email: 'ann@acme.example', via: 'invite' });
    expect((await kv.list('grant:ann@acme.example:')).length).toBe(1);
    expect((await kv.list('token:ann@acme.example:')).length).toBeGreaterThan(0);
    await expect.poll(async () => Number(await kv.get('seen:ann@acme.example'))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refresh rotates: the new tokens work, and a superseded refresh token is refused', async () => {
    const first = await host.signInWithInvite(clientId, email, await invite('ann@acme.example'));
    const second = await host.refresh(clientId, first.refresh_token);
    expect(second.status).toBe(200);
    const rotated = String(second.body.refresh_token);
    expect(rotated).not.toBe(first.refresh_token);
    expect(await whoami(origin, String(second.body.access_token), 'modern')).toMatchObject({ subject: 'ann@acme.example' });
    // The provider keeps the previous token until its successor is used (a lost response can be retried).
    const third = await host.refresh(clientId, rotated);
    expect(third.status).toBe(200);
    const replay = await host.refresh(clientId, first.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it("deleting the person's grant: and token: keys (users revoke) refuses the next call and the next refresh", async () => {
    const tokens = await host.signInWithInvite(clientId, email, await invite('ann@acme.example'));
    expect(await whoami(origin, tokens.access_token, 'modern')).toMatchObject({ via: 'oauth' });
    const kv = await workers.kv('acme');
    for (const prefix of ['grant:ann@acme.example:', 'token:ann@acme.example:']) {
      for (const key of await kv.list(prefix)) await kv.delete(key);
    }
    const call = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(call.status).toBe(401);
    expect((await host.refresh(clientId, tokens.refresh_token)).status).toBe(400);
  });
});
