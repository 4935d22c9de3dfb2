import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthFixture, REDIRECT, startOAuthFixture } from '../helpers/oauth-fixture.js';
import { OAuthHost, pkce } from '../helpers/oauth-host.js';
import { inviteKey, whoami } from '../helpers/oauth-workers.js';

/**
 * The template's consent page (templates/project/src/platform/oauth/) under attack and in its other
 * sign-in paths: hostile client metadata, forged posts, bad invitations, a client metadata
 * document host, and federated sign-in at a real OpenID Connect provider.
 */

let fx: OAuthFixture;
let origin = '';

beforeAll(async () => {
  fx = await startOAuthFixture();
  origin = fx.origin;
});

afterAll(async () => {
  await fx?.close();
});

/** The error redirect back to the host, or undefined when the answer is none. */
function redirectParams(response: Response): URLSearchParams | undefined {
  const location = response.headers.get('location');
  return location?.startsWith(REDIRECT) ? new URL(location).searchParams : undefined;
}

describe('the consent page refuses what it must', () => {
  it('escapes a hostile client name and URI: no markup of theirs reaches the page', async () => {
    const { host, clientId } = await fx.registeredHost({
      client_name: '<script>alert("pwned")</script><img src=x onerror=alert(1)>',
      client_uri: 'https://evil.example/"><script>alert(2)</script>',
    });
    const form = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
    expect(form.status).toBe(200);
    expect(form.html).not.toContain('<script>');
    expect(form.html).not.toContain('<img');
    expect(form.html).toContain('&#60;script&#62;alert(&#34;pwned&#34;)&#60;/script&#62;');
    expect(form.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('on a second origin, over https, the page works and its CSRF cookie is __Host- prefixed and Secure', async () => {
    const { clientId } = await fx.registeredHost();
    // Miniflare hands the worker the URL it is given: this is the worker as its workers.dev URL reaches it.
    const host = new OAuthHost('https://acme.example', REDIRECT);
    const res = await fx.workers.mf.dispatchFetch(host.authorizeUrl(clientId, pkce().challenge), { redirect: 'manual' });
    expect(res.status, `${res.headers.get('location')} ${await res.text()}`).toBe(200);
    const csrf = res.headers.getSetCookie().find((cookie) => cookie.startsWith('__Host-mcp-csrf='));
    expect(csrf).toMatch(/; Path=\/;/);
    expect(csrf).toMatch(/; Secure/);
    expect(csrf).toMatch(/SameSite=Strict/);
  });

  it('refuses PKCE "plain" (S256 only), back to the host as invalid_request', async () => {
    const { host, clientId } = await fx.registeredHost();
    const res = await fetch(host.authorizeUrl(clientId, 'a'.repeat(43), { code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(redirectParams(res)?.get('error')).toBe('invalid_request');
  });

  it('refuses a post without the CSRF cookie or with another token (403), and the invitation survives it', async () => {
    const { host, clientId } = await fx.registeredHost();
    const code = await fx.invite('cat@acme.example');
    const form = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
    const fields = { handle: form.handle, csrf: form.csrf, method: 'invite', email: 'cat@acme.example', code };
    const forged = await host.submit(fields, { cookies: false });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form has expired');
    const wrongToken = await host.submit({ ...fields, csrf: 'x'.repeat(43) });
    expect(wrongToken.status).toBe(403);
    expect(await (await fx.workers.kv('acme')).get(inviteKey(code))).not.toBeNull();
    const real = await host.submit(fields);
    expect(real.status).toBe(302);
    expect(redirectParams(real)?.get('code')).toBeTruthy();
  });

  it('two tabs signing in at once in one browser both keep a valid form', async () => {
    const { host, clientId } = await fx.registeredHost();
    const first = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
    const second = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
    const code = await fx.invite('kim@acme.example');
    const res = await host.submit({ handle: first.handle, csrf: first.csrf, method: 'invite', email: 'kim@acme.example', code });
    expect(res.status).toBe(302);
    expect((await host.submit({ handle: second.handle, csrf: second.csrf, method: 'deny' })).status).toBe(302);
  });

  it('refuses an expired invitation, one for another email, and a used one, and shows the page again', async () => {
    const { host, clientId } = await fx.registeredHost();
    const attempt = async (email: string, code: string): Promise<Response> => {
      const form = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
      return host.submit({ handle: form.handle, csrf: form.csrf, method: 'invite', email, code });
    };
    const expired = await attempt('dan@acme.example', await fx.invite('dan@acme.example', Date.now() - 1000));
    expect(expired.status).toBe(400);
    const again = await host.formOf(expired);
    expect(again.html).toContain('not valid for this email');
    expect(again.handle).not.toBe('');

    const code = await fx.invite('eve@acme.example');
    expect((await attempt('mallory@acme.example', code)).status).toBe(400);
    expect((await attempt('EVE@acme.example', code)).status).toBe(302);
    expect((await attempt('eve@acme.example', code)).status).toBe(400);
    expect(await (await fx.workers.kv('acme')).list('grant:mallory@acme.example:')).toEqual([]);
  });

  it('Deny sends the host access_denied', async () => {
    const { host, clientId } = await fx.registeredHost();
    const form = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
    const res = await host.submit({ handle: form.handle, csrf: form.csrf, method: 'deny' });
    expect(res.status).toBe(302);
    expect(redirectParams(res)?.get('error')).toBe('access_denied');
  });
});

describe('a host identified by its client metadata document (CIMD)', () => {
  it('reads the document from its https URL, names the host, and completes the grant', async () => {
    const clientId = fx.workers.cimdUrl;
    fx.workers.setCimdDocument({
      client_id: clientId,
      client_name: 'Metadata Host',
      client_uri: 'https://metadata-host.example',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    const host = new OAuthHost(origin, REDIRECT);
    const form = await host.openConsent(host.authorizeUrl(clientId, pkce().challenge));
    expect(form.status, form.html).toBe(200);
    expect(form.html).toContain('Metadata Host');
    const tokens = await host.signInWithInvite(clientId, 'fay@acme.example', await fx.invite('fay@acme.example'));
    expect(await whoami(origin, tokens.access_token, 'modern')).toEqual({ client: 'acme', subject: 'fay@acme.example', via: 'oauth' });
  });
});

describe('federated sign-in at the OIDC provider', () => {
  /** From the consent page to the IdP, back to the worker's callback, as the person's browser goes. */
  async function federated(
    email: string,
    groups: string[] = [],
    emailVerified = true,
  ): Promise<{ host: OAuthHost; clientId: string; res: Response; verifier: string }> {
    const { host, clientId } = await fx.registeredHost();
    const { verifier, challenge } = pkce();
    const form = await host.openConsent(host.authorizeUrl(clientId, challenge));
    expect(form.html).toContain('Sign in with your organisation');
    const toIdp = await host.submit({ handle: form.handle, csrf: form.csrf, method: 'oidc' });
    expect(toIdp.status).toBe(302);
    const idpUrl = String(toIdp.headers.get('location'));
    expect(idpUrl.startsWith(fx.idp.issuer)).toBe(true);
    expect(new URL(idpUrl).searchParams.get('code_challenge_method')).toBe('S256');
    expect(new URL(idpUrl).searchParams.get('nonce')).toBeTruthy();
    const back = await fx.idp.signIn(idpUrl, { email, groups, emailVerified });
    expect(back.origin + back.pathname).toBe(`${origin}/oidc/callback`);
    const res = await fetch(back, { redirect: 'manual', headers: host.browser.header() });
    return { host, clientId, res, verifier };
  }

  it('an account in an allowed domain gets a grant; whoami names its email', async () => {
    const { host, clientId, res, verifier } = await federated('Gil@Acme.Example');
    expect(res.status, await res.clone().text()).toBe(302);
    const code = redirectParams(res)?.get('code');
    expect(code).toBeTruthy();
    const tokens = await host.exchange(clientId, String(code), verifier);
    expect(tokens.status).toBe(200);
    expect(await whoami(origin, String(tokens.body.access_token), 'legacy')).toEqual({
      client: 'acme',
      subject: 'gil@acme.example',
      via: 'oauth',
    });
    const user = await (await fx.workers.kv('acme')).get('user:gil@acme.example');
    expect(JSON.parse(user ?? '{}')).toMatchObject({ email: 'gil@acme.example', via: 'oidc' });
  });

  it('an account outside the allowed domains is refused (403) and gets no grant, unless its group is allowed', async () => {
    const refused = await federated('hal@elsewhere.example');
    expect(refused.res.status).toBe(403);
    expect(await refused.res.text()).toContain('hal@elsewhere.example is not allowed to use acme');
    const kv = await fx.workers.kv('acme');
    expect(await kv.list('grant:hal@elsewhere.example:')).toEqual([]);
    expect(await kv.get('user:hal@elsewhere.example')).toBeNull();

    const member = await federated('ivy@partner.example', ['mcp-users']);
    expect(member.res.status).toBe(302);
    expect(redirectParams(member.res)?.get('code')).toBeTruthy();
  });

  it('an allowed domain with an unverified email is refused', async () => {
    const unverified = await federated('jo@acme.example', [], false);
    expect(unverified.res.status).toBe(403);
    expect(await (await fx.workers.kv('acme')).list('grant:jo@acme.example:')).toEqual([]);
  });

  it('the callback refuses a state it did not start in this browser', async () => {
    const res = await fetch(`${origin}/oidc/callback?code=abc&state=forged`, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });
});
