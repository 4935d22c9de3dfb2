import type { Env } from './env';

export interface RequestRecord {
  route: string;
  method: string;
  status: number;
  durationMs: number;
  /** The MCP revision the request spoke (e.g. 2026-07-28, 2025-11-25); empty when it named none. */
  protocol: string;
  /** Sent by mcp-fleet's own checks (verify, a deploy's wait, a rotation's proof), not by a caller. */
  probe: boolean;
}

/** The User-Agent mcp-fleet's checks send; `mcp-fleet metrics` leaves their points out unless asked. */
const PROBE_AGENT = /^mcp-fleet-verify\//;

export function isFleetProbe(request: Request): boolean {
  return PROBE_AGENT.test(request.headers.get('user-agent') ?? '');
}

/**
 * One data point per request in the client's own dataset. Indexed by client
 * id so a dataset shared by mistake still separates clients. Metrics are
 * best effort: a failing binding must never cost the caller its response.
 * The protocol blob comes after the first three so that queries written for those still hold; it
 * shows how many of a client's callers still speak a 2025 revision. blob5 is "verify" on the points
 * of mcp-fleet's own checks, so that a client's numbers are its callers'.
 */
export function recordRequest(env: Env, record: RequestRecord): void {
  const dataset = env.ANALYTICS;
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      indexes: [env.CLIENT_ID],
      // Analytics Engine reads a blob that was not written as empty, so non-MCP points stay three blobs long.
      blobs: record.probe
        ? [env.CLIENT_ID, record.route, record.method, record.protocol, 'verify']
        : record.protocol === ''
          ? [env.CLIENT_ID, record.route, record.method]
          : [env.CLIENT_ID, record.route, record.method, record.protocol],
      doubles: [record.status, record.durationMs],
    });
  } catch (error) {
    console.warn(`analytics: data point not written (${error instanceof Error ? error.message : String(error)})`);
  }
}
