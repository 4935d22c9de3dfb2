import { identifyBearer } from './credentials';
import type { Env } from './env';
import { json } from './http';
import type { Identity } from './identity';

const REALM = 'Bearer realm="mcp"';

/**
 * Gatekeeper for /mcp: who the caller is, or the response to send when it may not pass.
 *
 * Without an API_KEY the worker refuses everyone (503) instead of letting everyone in: a worker
 * deployed before its secrets arrive stays closed. `known` is an identity the OAuth provider has
 * already established (its token, or a key or JWT it handed back to ./credentials).
 */
export async function authenticate(request: Request, env: Env, known?: Identity): Promise<Identity | Response> {
  const expected = env.API_KEY;
  if (typeof expected !== 'string' || expected.length === 0) {
    return json(503, { error: 'not_configured', message: 'this worker has no API_KEY secret yet' });
  }
  if (known) return known;
  const presented = bearerToken(request.headers.get('authorization')) ?? secretHeader(request, env);
  if (presented === undefined) {
    return json(401, { error: 'unauthorized', message: 'send Authorization: Bearer <credential>' }, { 'www-authenticate': REALM });
  }
  const caller = await identifyBearer(presented, request, env);
  if (!caller) {
    return json(
      401,
      { error: 'invalid_token', message: 'the credential is not valid for this worker' },
      { 'www-authenticate': `${REALM}, error="invalid_token"` },
    );
  }
  return caller;
}

export function bearerToken(header: string | null): string | undefined {
  const match = header?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i);
  return match?.[1];
}

/** The key as seed-era clients send it (`X-MCP-Secret`), only where the client's section enables it. */
export function secretHeader(request: Request, env: Env): string | undefined {
  if (env.ACCEPT_SECRET_HEADER !== 'true') return undefined;
  const value = request.headers.get('x-mcp-secret')?.trim();
  return value ? value : undefined;
}
