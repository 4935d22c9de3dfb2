import { OAuthProvider } from '@cloudflare/workers-oauth-provider';
import { identifyBearer } from '../credentials';
import type { Env } from '../env';
import { handleAuthorize } from './authorize';
import { handleOidcCallback } from './callback';
import { type GrantProps, oauthEnv } from './grant';
import { CALLBACK_PATH } from './oidc';
import { recordSeen } from './people';
import { tokenLifetimes } from './settings';

/** The worker OAuth wraps: its fetch answers /mcp once the provider let the caller in, and every other path. */
export interface Worker {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
}

/**
 * One provider per origin this worker is reached at: the resource (`<origin>/mcp`), the token
 * audience and the issuer are all fixed at construction, and a worker can answer on workers.dev
 * and on a custom domain at once. Options are the same otherwise, so a handful live per isolate.
 */
const providers = new Map<string, OAuthProvider<Env>>();

export function providerFor(origin: string, env: Env, worker: Worker): OAuthProvider<Env> {
  const { accessTokenTTL, refreshTokenTTL } = tokenLifetimes(env);
  const key = `${origin} ${accessTokenTTL} ${refreshTokenTTL}`;
  let provider = providers.get(key);
  if (!provider) {
    provider = build(origin, accessTokenTTL, refreshTokenTTL, worker);
    providers.set(key, provider);
  }
  return provider;
}

function build(origin: string, accessTokenTTL: number, refreshTokenTTL: number, worker: Worker): OAuthProvider<Env> {
  const resource = `${origin}/mcp`;
  return new OAuthProvider<Env>({
    apiRoute: '/mcp',
    apiHandler: {
      fetch(request, env, ctx) {
        const identity = (ctx as ExecutionContext & { props?: Partial<GrantProps> }).props?.identity;
        if (identity?.via === 'oauth' && env.OAUTH_KV) ctx.waitUntil(recordSeen(env.OAUTH_KV, identity.subject));
        return worker.fetch(request, env, ctx);
      },
    },
    defaultHandler: {
      fetch(request, env, ctx) {
        const path = new URL(request.url).pathname;
        if (path === '/authorize') return handleAuthorize(request, oauthEnv(env));
        if (path === CALLBACK_PATH) return handleOidcCallback(request, oauthEnv(env));
        return worker.fetch(request, env, ctx);
      },
    },
    authorizeEndpoint: '/authorize',
    tokenEndpoint: '/token',
    clientRegistrationEndpoint: '/register',
    clientIdMetadataDocumentEnabled: true,
    resourceMetadata: { resource, authorization_servers: [origin], bearer_methods_supported: ['header'] },
    accessTokenTTL,
    refreshTokenTTL,
    // The client's key and mcp-fleet's per-person tokens keep working on /mcp beside OAuth.
    async resolveExternalToken({ token, request, env }) {
      const identity = await identifyBearer(token, request, env);
      if (!identity) return null;
      const props: GrantProps = { identity };
      return { props, audience: resource };
    },
    onError({ code, status, internal }) {
      // The failed check, never a token or a description built from request input.
      console.warn(`oauth: ${status} ${code} (${internal.category}: ${internal.reason})`);
    },
  });
}
