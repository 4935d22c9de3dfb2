/**
 * Every answer this worker writes itself is JSON and uncacheable: health and
 * auth results must never be served from a cache to another caller.
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
  });
}

export function methodNotAllowed(allowed: readonly string[]): Response {
  return json(405, { error: 'method_not_allowed', allow: allowed }, { allow: allowed.join(', ') });
}
