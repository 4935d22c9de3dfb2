import { createHash, randomBytes } from 'node:crypto';
import { CookieJar } from './cookie-jar.js';

/**
 * An MCP host's side of OAuth 2.1, scripted with plain fetch: dynamic registration, the
 * authorization request with PKCE, the person's browser on the consent page (its own cookies),
 * and the token endpoint. No redirect is followed by itself: each step's answer is checked.
 */

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  resource?: string;
}

export interface ConsentForm {
  status: number;
  headers: Headers;
  html: string;
  handle: string;
  csrf: string;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function unescapeHtml(value: string): string {
  return value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
}

function hiddenField(html: string, name: string): string {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return match?.[1] ? unescapeHtml(match[1]) : '';
}

export class OAuthHost {
  /** The person's browser at the worker. */
  readonly browser = new CookieJar();

  constructor(
    readonly origin: string,
    readonly redirectUri: string,
  ) {}

  async register(metadata: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.origin}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Test Host',
        redirect_uris: [this.redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        ...metadata,
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  authorizeUrl(clientId: string, challenge: string, extra: Record<string, string> = {}): string {
    const url = new URL('/authorize', this.origin);
    const params = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: this.redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
      resource: `${this.origin}/mcp`,
      ...extra,
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.href;
  }

  /** The browser opens the authorization URL and gets the consent page. */
  async openConsent(url: string): Promise<ConsentForm> {
    const response = await fetch(url, { redirect: 'manual', headers: this.browser.header() });
    this.browser.take(response);
    return this.readForm(response);
  }

  private async readForm(response: Response): Promise<ConsentForm> {
    const html = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      html,
      handle: hiddenField(html, 'handle'),
      csrf: hiddenField(html, 'csrf'),
    };
  }

  /** The browser submits the consent page's form; `cookies: false` posts it as another site would, without them. */
  async submit(fields: Record<string, string>, options: { cookies?: boolean } = {}): Promise<Response> {
    const response = await fetch(`${this.origin}/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.cookies === false ? {} : this.browser.header()) },
      body: new URLSearchParams(fields),
    });
    this.browser.take(response);
    return response;
  }

  /** A re-rendered consent page (a wrong code), read like the first one. */
  async formOf(response: Response): Promise<ConsentForm> {
    return this.readForm(response);
  }

  async token(fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  exchange(clientId: string, code: string, verifier: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return this.token({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: this.redirectUri,
      resource: `${this.origin}/mcp`,
    });
  }

  refresh(clientId: string, refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return this.token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });
  }

  /** Consent with an invitation, then the code for tokens: what a first sign-in does end to end. */
  async signInWithInvite(clientId: string, email: string, code: string): Promise<TokenSet> {
    const { verifier, challenge } = pkce();
    const form = await this.openConsent(this.authorizeUrl(clientId, challenge));
    if (form.status !== 200) throw new Error(`consent page answered ${form.status}: ${form.html}`);
    const submitted = await this.submit({ handle: form.handle, csrf: form.csrf, method: 'invite', email, code });
    const location = submitted.headers.get('location');
    if (submitted.status !== 302 || !location) throw new Error(`consent answered ${submitted.status}: ${await submitted.text()}`);
    const authCode = new URL(location).searchParams.get('code');
    if (!authCode) throw new Error(`no code in ${location}`);
    const tokens = await this.exchange(clientId, authCode, verifier);
    if (tokens.status !== 200) throw new Error(`token endpoint answered ${tokens.status}: ${JSON.stringify(tokens.body)}`);
    return tokens.body as unknown as TokenSet;
  }
}
