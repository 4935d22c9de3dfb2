import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { CookieJar } from './cookie-jar.js';

/**
 * A real OpenID Connect provider (`oidc-provider`) on 127.0.0.1 for federated sign-in tests. The
 * sign-in is scripted instead of typed into a browser: `signIn()` follows the provider's redirects
 * with its own cookies and answers the login and consent prompts for the account it is given,
 * until the provider sends the browser back to the relying party.
 */

export interface TestAccount {
  email: string;
  emailVerified?: boolean;
  groups?: string[];
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the relying party's callback; the IdP answers only after this (its URL comes later). */
  start(redirectUri: string): Promise<void>;
  /** From the relying party's redirect to the IdP to the IdP's redirect back: that URL, code and state in it. */
  signIn(authorizationUrl: string, account: TestAccount): Promise<URL>;
  close(): Promise<void>;
}

export async function startTestIdp(): Promise<TestIdp> {
  const clientId = 'mcp-worker';
  const clientSecret = 'idp-client-secret-7e1f0c9a';
  const accounts = new Map<string, TestAccount>();
  let pending: TestAccount | undefined;
  let provider: Provider | undefined;

  async function interaction(req: IncomingMessage, res: ServerResponse, oidc: Provider): Promise<void> {
    const details = await oidc.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      if (!pending) throw new Error('no account to sign in');
      accounts.set(pending.email, pending);
      await oidc.interactionFinished(req, res, { login: { accountId: pending.email } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new oidc.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    await oidc.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }

  const server: Server = createServer((req, res) => {
    const oidc = provider;
    if (!oidc) {
      res.writeHead(503).end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res, oidc).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    void oidc.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function start(redirectUri: string): Promise<void> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-idp-1' };
    provider = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: [jwk] },
      cookies: { keys: ['test-idp-cookie-key'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
      // The worker reads the email from the id_token, as most relying parties do.
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      // Explicit lifetimes keep the provider from logging a notice for each default it falls back to.
      ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      async findAccount(_ctx: unknown, id: string) {
        const account = accounts.get(id);
        if (!account) return undefined;
        return {
          accountId: id,
          async claims() {
            return {
              sub: id,
              email: account.email,
              email_verified: account.emailVerified ?? true,
              name: account.email,
              groups: account.groups ?? [],
            };
          },
        };
      },
    });
  }

  async function signIn(authorizationUrl: string, account: TestAccount): Promise<URL> {
    pending = account;
    const jar = new CookieJar();
    let url = new URL(authorizationUrl);
    for (let hop = 0; hop < 12; hop++) {
      if (url.origin !== issuer) return url;
      const response = await fetch(url, { redirect: 'manual', headers: jar.header() });
      jar.take(response);
      const location = response.headers.get('location');
      if (!location) throw new Error(`IdP answered ${response.status} at ${url.pathname}: ${await response.text()}`);
      await response.body?.cancel();
      url = new URL(location, url);
    }
    throw new Error('IdP sign-in did not finish');
  }

  async function close(): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return { issuer, clientId, clientSecret, start, signIn, close };
}
