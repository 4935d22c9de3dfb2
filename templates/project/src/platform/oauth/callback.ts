import { authorizationErrorRedirect } from '@cloudflare/workers-oauth-provider';
import { methodNotAllowed } from '../http';
import { authorizeFailure } from './authorize';
import { completeGrant, type OAuthEnv } from './grant';
import { type OidcTransaction, signedInPerson } from './oidc';
import { messagePage } from './page';
import { oidcSettings } from './settings';

/**
 * /oidc/callback: the identity provider sends the person back here. The provider's finishUpstream
 * checks `state` against this browser's cookie (so a code stolen elsewhere cannot be replayed
 * here) and hands back the approved request with our PKCE verifier and nonce.
 */
export async function handleOidcCallback(request: Request, env: OAuthEnv): Promise<Response> {
  if (request.method !== 'GET') return methodNotAllowed(['GET']);
  try {
    const resumed = await env.OAUTH_PROVIDER.finishUpstream<OidcTransaction>(request);
    const params = new URL(request.url).searchParams;
    const code = params.get('code');
    const settings = oidcSettings(env);
    if (params.get('error') || !code || !settings) {
      resumed.headers.set('location', authorizationErrorRedirect(resumed.request, 'access_denied'));
      return new Response(null, { status: 302, headers: resumed.headers });
    }
    let outcome: Awaited<ReturnType<typeof signedInPerson>>;
    try {
      outcome = await signedInPerson(settings, new URL(request.url).origin, code, resumed.data);
    } catch (error) {
      console.warn(`oauth: federated sign-in failed (${error instanceof Error ? error.message : 'error'})`);
      return messagePage(
        502,
        'Sign-in failed',
        'The organisation sign-in did not complete. Go back to the app and start again.',
        resumed.headers,
      );
    }
    if (outcome.kind === 'refused') {
      // The reason goes to the operator's logs; the person learns that this account is not let in.
      console.warn(`oauth: federated sign-in refused (${outcome.reason})`);
      const who = outcome.email ? `The account ${outcome.email} is` : 'This account is';
      return messagePage(403, 'Not allowed', `${who} not allowed to use ${env.CLIENT_ID}.`, resumed.headers);
    }
    return await completeGrant(env, resumed.request, outcome.email, 'oidc', resumed.headers);
  } catch (error) {
    return authorizeFailure(error);
  }
}
