import type { Env } from './env';
import { json } from './http';

const REALM = 'Bearer realm="mcp"';

/**
 * Gatekeeper for /mcp. Returns the response to send when the caller may not
 * pass, or undefined when it may.
 *
 * Without an API_KEY the worker refuses everyone (503) instead of letting
 * everyone in: a worker deployed before its secrets arrive stays closed.
 */
export async function rejectUnauthorized(request: Request, env: Env): Promise<Response | undefined> {
  const expected = env.API_KEY;
  if (typeof expected !== 'string' || expected.length === 0) {
    return json(503, { error: 'not_configured', message: 'this worker has no API_KEY secret yet' });
  }

  const presented = bearerToken(request.headers.get('authorization'));
  if (presented === undefined) {
    return json(401, { error: 'unauthorized', message: 'send Authorization: Bearer <API_KEY>' }, { 'www-authenticate': REALM });
  }
  // Both comparisons always run, so timing does not tell which key matched.
  const previous = env.API_KEY_PREVIOUS;
  const [current, old] = await Promise.all([
    sameSecret(presented, expected),
    typeof previous === 'string' && previous.length > 0 ? sameSecret(presented, previous) : Promise.resolve(false),
  ]);
  if (!current && !old) {
    return json(
      401,
      { error: 'invalid_token', message: 'the bearer key is not valid for this worker' },
      { 'www-authenticate': `${REALM}, error="invalid_token"` },
    );
  }
  return undefined;
}

function bearerToken(header: string | null): string | undefined {
  const match = header?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i);
  return match?.[1];
}

/**
 * Compares two secrets without leaking where they differ or how long the
 * expected one is: both are hashed to 32 bytes first, then every byte is
 * compared with no early exit.
 */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  const x = new Uint8Array(da);
  const y = new Uint8Array(db);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
