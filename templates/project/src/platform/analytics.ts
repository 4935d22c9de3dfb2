import type { Env } from './env';

export interface RequestRecord {
  route: string;
  method: string;
  status: number;
  durationMs: number;
  /** The MCP revision the request spoke (e.g. 2026-07-28, 2025-11-25); empty when it named none. */
  protocol: string;
}

/**
 * One data point per request in the client's own dataset. Indexed by client
 * id so a dataset shared by mistake still separates clients. Metrics are
 * best effort: a failing binding must never cost the caller its response.
 * The protocol blob is last so that queries written for the first three blobs still hold; it
 * shows how many of a client's callers still speak a 2025 revision.
 */
export function recordRequest(env: Env, record: RequestRecord): void {
  const dataset = env.ANALYTICS;
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      indexes: [env.CLIENT_ID],
      // Analytics Engine reads a blob that was not written as empty, so non-MCP points stay three blobs long.
      blobs:
        record.protocol === ''
          ? [env.CLIENT_ID, record.route, record.method]
          : [env.CLIENT_ID, record.route, record.method, record.protocol],
      doubles: [record.status, record.durationMs],
    });
  } catch (error) {
    console.warn(`analytics: data point not written (${error instanceof Error ? error.message : String(error)})`);
  }
}
