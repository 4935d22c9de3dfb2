import { type Env, missingSecrets } from './env';
import { json } from './http';

/** A probe must answer quickly; an upstream slower than this counts as down. */
const UPSTREAM_TIMEOUT_MS = 3_000;

/**
 * Readiness: can this worker serve its client right now? Reports which
 * secrets are missing by name only, so it is safe to leave unauthenticated.
 */
export async function handleReady(env: Env): Promise<Response> {
  const missing = missingSecrets(env);
  const upstream = env.UPSTREAM_URL ? await probeUpstream(env.UPSTREAM_URL) : undefined;

  if (missing.length === 0 && (upstream === undefined || upstream.ok)) {
    return json(200, { status: 'ready', client: env.CLIENT_ID });
  }
  const body: Record<string, unknown> = { status: 'not_ready', client: env.CLIENT_ID, missing };
  if (upstream && !upstream.ok) body.upstream = upstream.reason;
  return json(503, body);
}

type Probe = { ok: true } | { ok: false; reason: string };

/**
 * Any answer below 500 means the upstream is up (a 401 or 404 on its root is
 * still an answer). The probe deliberately sends no credential: readiness
 * must not spend or expose the client's token.
 */
async function probeUpstream(url: string): Promise<Probe> {
  try {
    const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    await response.body?.cancel();
    if (response.status >= 500) return { ok: false, reason: `upstream answered ${response.status}` };
    return { ok: true };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return { ok: false, reason: `upstream did not answer within ${UPSTREAM_TIMEOUT_MS} ms` };
    }
    return { ok: false, reason: 'upstream unreachable' };
  }
}
