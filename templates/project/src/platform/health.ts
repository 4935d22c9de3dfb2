import type { Env } from './env';
import { json } from './http';
import { WORKER_VERSION } from './version';

/**
 * Liveness only: answers without auth and without touching secrets or the
 * upstream, so load balancers and `mcp-fleet verify` can probe it freely.
 * `versionId` names the deployed version (a version id is not a secret), so a
 * rollout checks the new code rather than the old one still being served.
 */
export function handleHealth(env: Env): Response {
  const versionId = env.CF_VERSION_METADATA?.id;
  return json(200, { status: 'ok', client: env.CLIENT_ID, version: WORKER_VERSION, ...(versionId ? { versionId } : {}) });
}
