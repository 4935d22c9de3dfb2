import type { Env } from './env';
import { json } from './http';
import { WORKER_VERSION } from './version';

/**
 * Liveness only: answers without auth and without touching secrets or the
 * upstream, so load balancers and `mcp-fleet verify` can probe it freely.
 */
export function handleHealth(env: Env): Response {
  return json(200, { status: 'ok', client: env.CLIENT_ID, version: WORKER_VERSION });
}
