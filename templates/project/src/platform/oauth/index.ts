import type { Env } from '../env';
import { json } from '../http';
import { authModes } from '../identity';
import { checkOrigin } from '../origin';
import { providerFor, type Worker } from './provider';

/**
 * OAuth 2.1 for the client's worker, when `oauth` is among its AUTH_MODES: the authorization
 * server (metadata, /authorize, /token, /register, client metadata documents) and the check of
 * every bearer token on /mcp, by @cloudflare/workers-oauth-provider with grants in OAUTH_KV.
 * Without `oauth` every request goes straight to the worker, and nothing here exists: a key-only
 * server must not publish OAuth metadata, or hosts that find it drop the key they were given.
 */
export function withOAuth(worker: Worker): Worker {
  return {
    async fetch(request, env, ctx) {
      if (!authModes(env).has('oauth')) return worker.fetch(request, env, ctx);
      if (!env.OAUTH_KV) {
        console.warn('oauth: AUTH_MODES has oauth but there is no OAUTH_KV binding; OAuth is off');
        return worker.fetch(request, env, ctx);
      }
      const url = new URL(request.url);
      if (url.pathname === '/mcp' && !needsProvider(request, env)) return worker.fetch(request, env, ctx);
      try {
        return await viaProvider(request, url, env, ctx, worker);
      } catch (error) {
        // As the worker does for its own routes: the stack trace to the logs, a bare 500 to the caller.
        console.error('oauth: unhandled error', error);
        return json(500, { error: 'internal_error' });
      }
    },
  };
}

async function viaProvider(request: Request, url: URL, env: Env, ctx: ExecutionContext, worker: Worker): Promise<Response> {
  const provider = providerFor(url.origin, env, worker);
  // The provider puts its helpers on env (OAUTH_PROVIDER) and keeps the first it set, and env
  // lives as long as the isolate: with one env for every origin, a request on the custom domain
  // would get the workers.dev provider's helpers. Each request gets its own copy.
  const own: Env = { ...env };
  if (url.pathname === '/.well-known/oauth-protected-resource') {
    // RFC 9728's root form: the provider serves the path form of its one resource, /mcp.
    return provider.fetch(new Request(new URL('/.well-known/oauth-protected-resource/mcp', url), request), own, ctx);
  }
  return provider.fetch(request, own, ctx);
}

/**
 * Requests to /mcp the worker answers alone, as without OAuth: preflights and foreign origins (its
 * own CORS policy, not the provider's permissive one), and the seed-era `X-MCP-Secret` key sent
 * without any Authorization header, which the provider would otherwise turn away.
 */
function needsProvider(request: Request, env: Env): boolean {
  if (request.method === 'OPTIONS') return false;
  if (checkOrigin(request, env).kind === 'forbidden') return false;
  return request.headers.has('authorization') || !request.headers.has('x-mcp-secret');
}
