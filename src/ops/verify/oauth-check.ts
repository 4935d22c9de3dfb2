import { describeFetchError } from './auth-probe.js';
import type { CheckResult } from './checks.js';
import { probeHeaders } from './probe-agent.js';

/**
 * `oauth`, for a client that is its own OAuth server: what a host reads before it signs anyone in,
 * read as a host reads it, with no sign-in, no registration and nothing written. The 401 on /mcp
 * names the protected-resource metadata (RFC 9728); that document names this worker's own /mcp as
 * the resource and this worker as its authorization server; the server's metadata (RFC 8414)
 * has this worker as issuer, PKCE with S256 only, RFC 9207 `iss`, and registration by Client ID
 * Metadata Document and dynamically. A neighbour's origin appearing anywhere is a failure.
 */
export async function checkOAuth(input: { url: string; neighbourUrl: string | undefined; timeoutMs: number }): Promise<CheckResult> {
  const started = performance.now();
  const origin = new URL(input.url).origin;
  const problems: string[] = [];
  const get = async (path: string, init: RequestInit = {}) =>
    fetch(`${origin}${path}`, {
      ...init,
      headers: { ...probeHeaders(), accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  try {
    const challenge = await get('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await challenge.body?.cancel();
    const header = challenge.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(header)?.[1];
    if (challenge.status !== 401) problems.push(`POST /mcp without credentials answered ${challenge.status}, expected 401`);
    else if (!metadataUrl) problems.push('the 401 on /mcp names no resource_metadata, so hosts cannot find how to sign in');
    else if (!metadataUrl.startsWith(`${origin}/`)) problems.push(`the 401 names resource metadata at another origin (${metadataUrl})`);

    const resource = await (await get('/.well-known/oauth-protected-resource/mcp')).json().catch(() => undefined);
    const doc = (resource ?? {}) as { resource?: unknown; authorization_servers?: unknown };
    if (doc.resource !== `${origin}/mcp`)
      problems.push(`the protected-resource metadata names ${String(doc.resource)} as the resource, not ${origin}/mcp`);
    if (!Array.isArray(doc.authorization_servers) || !doc.authorization_servers.includes(origin))
      problems.push('the protected-resource metadata does not name this worker as its authorization server');

    const server = (await (await get('/.well-known/oauth-authorization-server')).json().catch(() => ({}))) as Record<string, unknown>;
    if (server.issuer !== origin) problems.push(`the authorization server's issuer is ${String(server.issuer)}, not ${origin}`);
    const methods = server.code_challenge_methods_supported;
    if (!Array.isArray(methods) || methods.length !== 1 || methods[0] !== 'S256') problems.push('PKCE is not S256 only');
    if (server.authorization_response_iss_parameter_supported !== true) problems.push('the server does not announce RFC 9207 iss');
    if (server.client_id_metadata_document_supported !== true) problems.push('Client ID Metadata Documents are not offered');
    if (typeof server.registration_endpoint !== 'string') problems.push('dynamic registration is not offered');
    const neighbour = input.neighbourUrl ? new URL(input.neighbourUrl).origin : undefined;
    if (neighbour && neighbour !== origin && JSON.stringify([doc, server]).includes(neighbour))
      problems.push(`the metadata names another client's worker (${neighbour})`);
  } catch (error) {
    problems.push(describeFetchError(error, input.timeoutMs));
  }
  const ms = Math.round(performance.now() - started);
  if (problems.length > 0) return { name: 'oauth', ok: false, ms, detail: problems.join('; ') };
  return {
    name: 'oauth',
    ok: true,
    ms,
    detail:
      'the 401 leads to metadata naming this worker alone: resource <origin>/mcp, issuer <origin>, S256 only, iss, CIMD and registration',
  };
}
