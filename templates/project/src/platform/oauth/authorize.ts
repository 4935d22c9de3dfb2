import { AuthorizationError, type AuthRequest, authorizationErrorRedirect, CimdFetchError } from '@cloudflare/workers-oauth-provider';
import { methodNotAllowed } from '../http';
import { csrfMatches, issueCsrf } from './csrf';
import { completeGrant, type OAuthEnv } from './grant';
import { authorizationUrl, newTransaction } from './oidc';
import { consentPage, mergeHeaders, messagePage } from './page';
import { findInvitation, normalEmail, useInvitation } from './people';
import { oidcSettings } from './settings';

/**
 * /authorize, this worker's own page: GET shows who asks and the ways to sign in, POST signs the
 * person in (invitation code, or a hop to the identity provider) and completes the grant. The
 * provider validated the client and redirect URI before anything here runs.
 */
export async function handleAuthorize(request: Request, env: OAuthEnv): Promise<Response> {
  try {
    if (request.method === 'GET') return await showConsent(request, env);
    if (request.method === 'POST') return await submitConsent(request, env);
    return methodNotAllowed(['GET', 'POST']);
  } catch (error) {
    return authorizeFailure(error);
  }
}

/** Validated failures go back to the client when its redirect URI is trusted, otherwise onto this page. */
export function authorizeFailure(error: unknown): Response {
  if (error instanceof AuthorizationError && error.redirectTo) {
    return new Response(null, { status: 302, headers: { location: error.redirectTo, 'cache-control': 'no-store' } });
  }
  if (error instanceof AuthorizationError) {
    return messagePage(400, 'Sign-in could not continue', `${error.description} Go back to the app and start again.`);
  }
  if (error instanceof CimdFetchError) {
    return messagePage(400, 'This app could not be verified', 'Its client metadata document could not be read.');
  }
  throw error;
}

async function showConsent(request: Request, env: OAuthEnv): Promise<Response> {
  const authRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
  // The provider also takes "plain" and confidential clients without PKCE; MCP asks for S256 from everyone.
  if (!authRequest.codeChallenge || authRequest.codeChallengeMethod !== 'S256') {
    const to = authorizationErrorRedirect(authRequest, 'invalid_request', 'PKCE with S256 is required');
    return new Response(null, { status: 302, headers: { location: to, 'cache-control': 'no-store' } });
  }
  return renderConsent(request, env, authRequest, new Headers());
}

async function renderConsent(
  request: Request,
  env: OAuthEnv,
  authRequest: AuthRequest,
  earlier: Headers,
  problem?: { error: string; email?: string },
): Promise<Response> {
  const details = await env.OAUTH_PROVIDER.describeConsent(authRequest);
  const consent = await env.OAUTH_PROVIDER.beginConsent(authRequest);
  const csrf = issueCsrf(request);
  const headers = mergeHeaders(earlier, consent.headers);
  headers.append('set-cookie', csrf.cookie);
  const view = { client: env.CLIENT_ID, details, handle: consent.handle, csrf: csrf.token, oidc: oidcSettings(env) !== undefined };
  return consentPage({ ...view, ...problem }, problem ? 400 : 200, headers);
}

async function submitConsent(request: Request, env: OAuthEnv): Promise<Response> {
  const form = await request.formData();
  if (!(await csrfMatches(request, form.get('csrf')))) {
    return messagePage(403, 'This form has expired', 'It did not come from this page in this browser. Go back to the app and start again.');
  }
  const handle = String(form.get('handle') ?? '');
  const method = form.get('method');
  if (method === 'deny') {
    const denied = await env.OAUTH_PROVIDER.denyConsent(request, handle);
    denied.headers.set('cache-control', 'no-store');
    return new Response(null, { status: 302, headers: denied.headers });
  }
  // Consumes the handle; a wrong code gets a fresh page (and handle) below, so the person can retry.
  const approved = await env.OAUTH_PROVIDER.approveConsent(request, handle);
  if (method === 'oidc') return startFederated(request, env, approved.request, approved.headers);
  const email = normalEmail(String(form.get('email') ?? ''));
  const key = email ? await findInvitation(env.OAUTH_KV, email, String(form.get('code') ?? '')) : undefined;
  if (!email || !key) {
    const error = 'That code is not valid for this email: it may be mistyped, expired or already used.';
    return renderConsent(request, env, approved.request, approved.headers, { error, email: email ?? '' });
  }
  await useInvitation(env.OAUTH_KV, key);
  return completeGrant(env, approved.request, email, 'invite', approved.headers);
}

async function startFederated(request: Request, env: OAuthEnv, authRequest: AuthRequest, headers: Headers): Promise<Response> {
  const settings = oidcSettings(env);
  if (!settings) return messagePage(400, 'Sign-in could not continue', 'Organisation sign-in is not configured for this server.');
  const tx = newTransaction();
  const upstream = await env.OAUTH_PROVIDER.beginUpstream(authRequest, { data: tx, headers });
  let location: string;
  try {
    location = await authorizationUrl(settings, new URL(request.url).origin, upstream.state, tx);
  } catch (error) {
    console.warn(`oauth: identity provider unavailable (${error instanceof Error ? error.message : 'error'})`);
    return messagePage(502, 'Sign-in is unavailable', 'The organisation sign-in could not be reached. Try again later.');
  }
  upstream.headers.set('location', location);
  upstream.headers.set('cache-control', 'no-store');
  return new Response(null, { status: 302, headers: upstream.headers });
}
