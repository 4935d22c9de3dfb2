import type { Env } from './env';
import { json } from './http';

/**
 * Where a request to /mcp comes from, as far as its Origin header tells. Browsers always send
 * Origin on a cross-site POST, and a DNS-rebinding page cannot forge it; MCP hosts, CLIs and
 * servers send none. So: no Origin passes, an Origin listed in ALLOWED_ORIGINS passes and gets
 * CORS headers, anything else (including the opaque "null" origin) is refused.
 */
export type OriginVerdict = { kind: 'none' } | { kind: 'allowed'; origin: string } | { kind: 'forbidden' };

export function checkOrigin(request: Request, env: Env): OriginVerdict {
  const header = request.headers.get('origin');
  if (header === null || header === '') return { kind: 'none' };
  const origin = normalizeOrigin(header);
  if (origin !== undefined && allowedOrigins(env).has(origin)) return { kind: 'allowed', origin };
  return { kind: 'forbidden' };
}

/** The exact origin (scheme, host, port) of an http(s) URL; undefined for anything else. */
function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
}

/**
 * ALLOWED_ORIGINS, split on commas and whitespace. An entry that is not an http(s) origin,
 * such as "*", is ignored rather than widened: the list only ever names sites one by one.
 */
function allowedOrigins(env: Env): Set<string> {
  const origins = new Set<string>();
  for (const entry of (env.ALLOWED_ORIGINS ?? '').split(/[\s,]+/)) {
    const origin = entry === '' ? undefined : normalizeOrigin(entry);
    if (origin !== undefined) origins.add(origin);
  }
  return origins;
}

export function forbiddenOrigin(): Response {
  return json(403, { error: 'forbidden_origin', message: 'this Origin is not allowed to call this MCP server' });
}

/** Headers a browser needs to hand an answer of /mcp to a page of an allowed origin. */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    // A browser client has to read these to speak MCP and to see why it was refused.
    'access-control-expose-headers':
      'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset',
    vary: 'origin',
  };
}

/** Request headers MCP clients send; a preflight asking for others still gets these. */
const MCP_REQUEST_HEADERS =
  'authorization, content-type, accept, mcp-protocol-version, mcp-method, mcp-name, mcp-session-id, last-event-id';

/**
 * The answer to a CORS preflight (OPTIONS /mcp) from an allowed origin (the caller adds
 * corsHeaders, as to every answer of /mcp for that origin). A preflight carries no
 * credentials, so it never reaches the key check: a 401 here would stop every browser client.
 * The headers asked for are echoed (tokens only) because 2026-07-28 tools may declare their own
 * Mcp-Param-* headers, which no fixed list can name.
 */
export function preflight(request: Request): Response {
  const asked = request.headers.get('access-control-request-headers') ?? '';
  const echoed = asked
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name));
  const allowHeaders = [...new Set([...MCP_REQUEST_HEADERS.split(', '), ...echoed])].join(', ');
  return new Response(null, {
    status: 204,
    headers: {
      // GET and DELETE are answered 405; allowing them lets a browser client read that answer.
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers': allowHeaders,
      'access-control-max-age': '600',
      'cache-control': 'no-store',
    },
  });
}

/** A copy of `response` with CORS headers added (SDK responses may have immutable headers). */
export function withCors(response: Response, origin: string): Response {
  const copy = new Response(response.body, response);
  for (const [name, value] of Object.entries(corsHeaders(origin))) copy.headers.set(name, value);
  return copy;
}
