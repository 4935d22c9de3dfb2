import { createHash, randomBytes } from 'node:crypto';
import type { KvApi } from '../../cloudflare/kv.js';
import { codeHash } from '../identity/users.js';
import { describeFetchError } from './auth-probe.js';
import type { CheckResult } from './checks.js';
import { probeSession } from './mcp-session.js';
import { probeHeaders } from './probe-agent.js';

/**
 * `sign-in` (verify --sign-in), for a client in oauth mode: the whole flow a host and a person go
 * through, against the deployed worker. An invitation for a verify-only address goes into the
 * client's namespace (1 API call); the check registers like a host (dynamic registration),
 * authorizes with PKCE S256 and the resource, signs in on the consent page with the code, takes
 * the tokens, calls whoami in both MCP generations, refreshes (the old refresh token must then be
 * refused), revokes the grant as `users revoke` does and sees the next call refused. What it made
 * is deleted at the end (2 listings and 1 bulk delete): 4 API calls in all.
 */
export const SIGN_IN_EMAIL = 'verify@mcp-fleet.invalid';
const REDIRECT = 'http://127.0.0.1:9/callback';

interface Step {
  status: number;
  headers: Headers;
  text: string;
}

export async function checkOAuthSignIn(input: {
  url: string;
  client: string;
  kv: KvApi;
  namespace: string;
  timeoutMs: number;
  redact: (text: string) => string;
}): Promise<CheckResult> {
  const started = performance.now();
  const origin = new URL(input.url).origin;
  const cookies = new Map<string, string>();
  const send = async (path: string, init: RequestInit = {}): Promise<Step> => {
    const response = await fetch(path.startsWith('http') ? path : `${origin}${path}`, {
      ...init,
      redirect: 'manual',
      headers: {
        ...probeHeaders(),
        ...(init.headers as Record<string, string> | undefined),
        ...(cookies.size > 0 ? { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {}),
      },
      signal: AbortSignal.timeout(input.timeoutMs),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const fail = (detail: string): CheckResult => ({
    name: 'sign-in',
    ok: false,
    ms: Math.round(performance.now() - started),
    detail: input.redact(detail),
  });

  const code = randomBytes(15).toString('base64url');
  let clientId: string | undefined;
  try {
    await input.kv.put(
      input.namespace,
      `invite:${codeHash(code)}`,
      JSON.stringify({ email: SIGN_IN_EMAIL, expiresAt: Date.now() + 600_000 }),
      {
        expirationTtl: 600,
        metadata: { email: SIGN_IN_EMAIL, expiresAt: Date.now() + 600_000 },
      },
    );
    const registered = await send('/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'mcp-fleet verify',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    });
    clientId = (JSON.parse(registered.text) as { client_id?: string }).client_id;
    if (registered.status !== 201 || !clientId) return fail(`dynamic registration answered ${registered.status}`);

    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL('/authorize', origin);
    const params = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
      resource: `${origin}/mcp`,
    };
    for (const [key, value] of Object.entries(params)) authorize.searchParams.set(key, value);
    const page = await send(authorize.href);
    const hidden = (name: string) => page.text.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1]?.replaceAll('&amp;', '&') ?? '';
    if (page.status !== 200 || !hidden('handle')) return fail(`the sign-in page answered ${page.status}`);
    const consent = await send(
      '/authorize',
      form({ handle: hidden('handle'), csrf: hidden('csrf'), method: 'invite', email: SIGN_IN_EMAIL, code }),
    );
    const back = consent.headers.get('location') ?? '';
    const returned = back.startsWith(REDIRECT) ? new URL(back).searchParams : undefined;
    if (consent.status !== 302 || !returned?.get('code')) return fail(`signing in with an invitation answered ${consent.status}, no code`);
    if (returned.get('state') !== params.state) return fail('the authorization response did not return the state');
    if (returned.get('iss') !== origin) return fail(`the authorization response's iss is ${returned.get('iss')}, not ${origin} (RFC 9207)`);

    const token = async (fields: Record<string, string>) => {
      const answer = await send('/token', form({ client_id: clientId as string, ...fields }));
      return { status: answer.status, body: JSON.parse(answer.text || '{}') as Record<string, unknown> };
    };
    const first = await token({
      grant_type: 'authorization_code',
      code: String(returned.get('code')),
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      resource: `${origin}/mcp`,
    });
    const access = first.body.access_token;
    const refresh = first.body.refresh_token;
    if (first.status !== 200 || typeof access !== 'string' || typeof refresh !== 'string')
      return fail(`the token endpoint answered ${first.status}`);

    const session = { timeoutMs: input.timeoutMs, whoamiTool: 'whoami', redact: input.redact };
    for (const generation of ['modern', 'legacy'] as const) {
      const who = (await probeSession(input.url, access, generation, session)).whoami;
      if (who?.via !== 'oauth' || who.subject !== SIGN_IN_EMAIL || who.client !== input.client)
        return fail(
          `whoami (${generation}) with the OAuth token named ${who?.client ?? '?'}/${who?.subject ?? '?'} via ${who?.via ?? '?'}`,
        );
    }
    // Rotation as the provider does it: the previous refresh token stays good until its successor
    // is used (a host whose answer was lost can retry), and is refused from then on.
    const renewed = await token({ grant_type: 'refresh_token', refresh_token: refresh });
    const successor = renewed.body.refresh_token;
    if (renewed.status !== 200 || typeof successor !== 'string') return fail(`refreshing answered ${renewed.status}`);
    const again = await token({ grant_type: 'refresh_token', refresh_token: successor });
    const next = again.body.access_token;
    if (again.status !== 200 || typeof next !== 'string') return fail(`refreshing with the new refresh token answered ${again.status}`);
    const reused = await token({ grant_type: 'refresh_token', refresh_token: refresh });
    if (reused.status === 200) return fail('the first refresh token still works after two refreshes: refresh tokens are not rotated');

    await revokeSignIn(input.kv, input.namespace, clientId);
    clientId = undefined;
    const after = await send('/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${next}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    if (after.status !== 401) return fail(`after revoking the grant, its token still answered ${after.status}`);
  } catch (error) {
    return fail(`the sign-in flow stopped: ${describeFetchError(error, input.timeoutMs)}`);
  } finally {
    if (clientId !== undefined) await revokeSignIn(input.kv, input.namespace, clientId).catch(() => undefined);
  }
  return {
    name: 'sign-in',
    ok: true,
    ms: Math.round(performance.now() - started),
    detail:
      'registration, PKCE, an invitation sign-in, tokens for /mcp in both generations (via oauth), refresh rotation; revoked, refused',
  };
}

/** What the flow left in the namespace: the grant and tokens, the person's records, the registered client. */
async function revokeSignIn(kv: KvApi, namespace: string, clientId: string): Promise<void> {
  const [grants, tokens] = await Promise.all([
    kv.listKeys(namespace, `grant:${SIGN_IN_EMAIL}:`),
    kv.listKeys(namespace, `token:${SIGN_IN_EMAIL}:`),
  ]);
  await kv.deleteKeys(namespace, [
    ...grants.map((key) => key.name),
    ...tokens.map((key) => key.name),
    `user:${SIGN_IN_EMAIL}`,
    `seen:${SIGN_IN_EMAIL}`,
    `client:${clientId}`,
  ]);
}
