import type { AuthRequest, OAuthHelpers } from '@cloudflare/workers-oauth-provider';
import type { Env } from '../env';
import type { Identity } from '../identity';
import { recordUser, type SignInVia } from './people';

/** What the worker's `env` holds once the provider has run: its helpers, beside the client's own bindings. */
export type OAuthEnv = Env & { OAUTH_PROVIDER: OAuthHelpers; OAUTH_KV: KVNamespace };

/** The provider sets OAUTH_PROVIDER before it calls a handler, and ./index.ts runs it only with OAUTH_KV bound. */
export function oauthEnv(env: Env): OAuthEnv {
  const helpers = (env as Env & { OAUTH_PROVIDER?: OAuthHelpers }).OAUTH_PROVIDER;
  if (!helpers || !env.OAUTH_KV) throw new Error('OAuth handler called outside the provider');
  return env as OAuthEnv;
}

/** The props every grant carries: the identity /mcp hands to the tools (see ../worker.ts). */
export interface GrantProps {
  identity: Identity;
}

/**
 * Issues the grant for a person who signed in and answers with the redirect to the client. The
 * user id is the lowercased email, so `grant:<email>:` and `token:<email>:` are that person's keys.
 */
export async function completeGrant(
  env: OAuthEnv,
  request: AuthRequest,
  email: string,
  via: SignInVia,
  headers: Headers,
): Promise<Response> {
  const props: GrantProps = { identity: { client: env.CLIENT_ID, subject: email, via: 'oauth' } };
  const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
    request,
    userId: email,
    metadata: { via },
    scope: request.scope,
    props,
  });
  await recordUser(env.OAUTH_KV, email, via);
  headers.set('location', redirectTo);
  headers.set('cache-control', 'no-store');
  return new Response(null, { status: 302, headers });
}
