import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TTL, API_KEY, type OAuthFixture, REFRESH_TTL, startOAuthFixture } from '../helpers/oauth-fixture.js';
import { type OAuthHost, pkce } from '../helpers/oauth-host.js';
import { type Generation, inviteKey, whoami } from '../helpers/oauth-workers.js';

/**
 * The template's OAuth 2.1 (templates/project/src/platform/oauth/), end to end: the bundled worker
 * in Miniflare, an MCP host scripted with fetch, a person's browser on the consent page. The
 * consent page's refusals, client metadata documents and federated sign-in are in
 * oauth-consent.test.ts.
 */

const GENERATIONS: readonly Generation[] = ['modern', 'legacy'];

let fx: OAuthFixture;
let origin = '';

beforeAll(async () => {
  fx = await startOAuthFixture();
  origin = fx.origin;
});

afterAll(async () => {
  await fx?.close();
});

describe('discovery', () => {
  it('a key-only worker publishes no OAuth metadata (404), so hosts keep the key they were given', async () => {
    const base = fx.workers.url('keyonly');
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-authorization-server',
    ]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${base}/authorize?client_id=x`)).status).toBe(404);
    expect((await fetch(`${base}/token`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/register`, { method: 'POST', body: '{}' })).status).toBe(404);
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
    ({ host, clientId } = await fx.registeredHost());
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
    const code = await fx.invite('ann@acme.example');
    const tokens = await host.signInWithInvite(clientId, email, code);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(ACCESS_TTL);
    for (const generation of GENERATIONS) {
      expect(await whoami(origin, tokens.access_token, generation), generation).toEqual({
        client: 'acme',
        subject: 'ann@acme.example',
        via: 'oauth',
      });
    }
    const kv = await fx.workers.kv('acme');
    expect(await kv.get(inviteKey(code))).toBeNull();
    expect(JSON.parse((await kv.get('user:ann@acme.example')) ?? '{}')).toMatchObject({ email: 'ann@acme.example', via: 'invite' });
    const grants = await kv.list('grant:ann@acme.example:');
    expect(grants.length).toBe(1);
    // The grant (and with it the refresh token) lives OAUTH_REFRESH_TTL seconds.
    const expires = (await kv.expiration(String(grants[0]))) ?? 0;
    expect(Math.abs(expires - (Date.now() / 1000 + REFRESH_TTL))).toBeLessThan(120);
    expect((await kv.list('token:ann@acme.example:')).length).toBeGreaterThan(0);
    await expect.poll(async () => Number(await kv.get('seen:ann@acme.example'))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records last use at most once per 10 minutes per person', async () => {
    const tokens = await host.signInWithInvite(clientId, email, await fx.invite('ann@acme.example'));
    const kv = await fx.workers.kv('acme');
    const recent = String(Date.now() - 120_000);
    await kv.put('seen:ann@acme.example', recent);
    await whoami(origin, tokens.access_token, 'modern');
    await whoami(origin, tokens.access_token, 'legacy');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await kv.get('seen:ann@acme.example')).toBe(recent);
  });

  it('refresh rotates: the new tokens work, and a superseded refresh token is refused', async () => {
    const first = await host.signInWithInvite(clientId, email, await fx.invite('ann@acme.example'));
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
    const tokens = await host.signInWithInvite(clientId, email, await fx.invite('ann@acme.example'));
    expect(await whoami(origin, tokens.access_token, 'modern')).toMatchObject({ via: 'oauth' });
    const kv = await fx.workers.kv('acme');
    for (const prefix of ['grant:ann@acme.example:', 'token:ann@acme.example:']) {
      for (const key of await kv.list(prefix)) await kv.delete(key);
    }
    const call = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(call.status).toBe(401);
    expect((await host.refresh(clientId, tokens.refresh_token)).status).toBe(400);
  });
});

describe('the other modes with oauth on', () => {
  it('the client key and a per-person JWT still open /mcp, in both generations', async () => {
    const jwt = await fx.signJwt('bob@acme.example');
    for (const generation of GENERATIONS) {
      expect(await whoami(origin, API_KEY, generation), generation).toEqual({ client: 'acme', subject: 'key', via: 'key' });
      expect(await whoami(origin, jwt, generation), generation).toEqual({ client: 'acme', subject: 'bob@acme.example', via: 'jwt' });
    }
  });

  it('X-MCP-Secret without Authorization reaches the worker, which checks it', async () => {
    const call = (secret: string) =>
      fetch(`${origin}/mcp`, {
        method: 'POST',
        headers: { 'x-mcp-secret': secret, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
        }),
      });
    expect((await call(API_KEY)).status).toBe(200);
    expect((await call('not-the-key')).status).toBe(401);
  });

  it('a wrong bearer value is refused with the OAuth challenge', async () => {
    const res = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });
});
