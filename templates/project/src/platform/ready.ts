import type { Env } from './env';
import { json } from './http';
import { missingSettings } from './secrets';

/** A probe must answer quickly; an upstream slower than this counts as down. */
const UPSTREAM_TIMEOUT_MS = 3_000;

/**
 * Readiness: can this worker serve its client right now? Reports which
 * secrets (or the CLIENT_ID var) are missing by name only, so it is safe to leave unauthenticated.
 */
export async function handleReady(env: Env): Promise<Response> {
  const missing = missingSettings(env);
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
 * still an answer), except the platform's own refusal: Cloudflare answers a
 * subrequest to a loopback or private address itself, 403 "error code: 1003",
 * and such an upstream can never be reached from a worker. The probe
 * deliberately sends no credential: readiness must not spend or expose the
 * client's token.
 */
async function probeUpstream(url: string): Promise<Probe> {
  try {
    const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    const refusal = response.status === 403 ? platformRefusal(await response.text()) : undefined;
    if (response.status !== 403) await response.body?.cancel();
    if (refusal) return { ok: false, reason: `upstream not reachable from a worker (Cloudflare ${refusal})` };
    if (response.status >= 500) return { ok: false, reason: `upstream answered ${response.status}` };
    return { ok: true };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return { ok: false, reason: `upstream did not answer within ${UPSTREAM_TIMEOUT_MS} ms` };
    }
    return { ok: false, reason: 'upstream unreachable' };
  }
}

/** "error code: 1003" (and its kin) is Cloudflare refusing the subrequest, not the upstream answering. */
function platformRefusal(body: string): string | undefined {
  return /^error code: (10\d\d)\b/.exec(body.trim())?.[0];
}
