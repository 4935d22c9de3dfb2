import type { Env } from './env';
import type { Identity } from './identity';

export interface RequestRecord {
  route: string;
  method: string;
  status: number;
  durationMs: number;
  /** The MCP revision the request spoke (e.g. 2026-07-28, 2025-11-25); empty when it named none. */
  protocol: string;
  /** Sent by mcp-fleet's own checks (verify, a deploy's wait, a rotation's proof), not by a caller. */
  probe: boolean;
  /** How the caller proved who they are and a hash of who (never the subject itself); absent when /mcp refused them. */
  caller?: CallerRecord;
  /** The request was a tools/call; `failed` when the tool answered an error (isError) or the call a JSON-RPC error. */
  toolCall?: { failed: boolean };
  /** The version that answered (version_metadata); '' when the config binds none. */
  version: string;
}

export interface CallerRecord {
  via: string;
  subjectHash: string;
}

/**
 * A stable pseudonym for a caller: the first 16 hex digits of SHA-256 over client and subject.
 * `mcp-fleet metrics --by subject` groups by it; `mcp-fleet users list` computes the same to name them.
 */
export async function subjectHash(caller: Identity): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${caller.client}\n${caller.subject}`));
  return [...new Uint8Array(digest).slice(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The User-Agent mcp-fleet's checks send; `mcp-fleet metrics` leaves their points out unless asked. */
const PROBE_AGENT = /^mcp-fleet-verify\//;

export function isFleetProbe(request: Request): boolean {
  return PROBE_AGENT.test(request.headers.get('user-agent') ?? '');
}

/**
 * One data point per request in the client's own dataset. Indexed by client id so a dataset shared
 * by mistake still separates clients. Metrics are best effort: a failing binding must never cost
 * the caller its response. Columns (queries name them by position, so they only ever grow):
 * blob1 client, blob2 route, blob3 method, blob4 MCP revision, blob5 "verify" on the points of
 * mcp-fleet's own checks (so that a client's numbers are its callers'), blob6 how a caller /mcp let
 * in got in (key, oauth, jwt), blob7 a hash of who, blob8 the version that answered (so a rollout
 * can judge the new version alone while the old one still serves); double1 status, double2 ms,
 * double3 1 on a tools/call, double4 1 when that call failed.
 */
export function recordRequest(env: Env, record: RequestRecord): void {
  const dataset = env.ANALYTICS;
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      indexes: [env.CLIENT_ID],
      blobs: [
        env.CLIENT_ID,
        record.route,
        record.method,
        record.protocol,
        record.probe ? 'verify' : '',
        record.caller?.via ?? '',
        record.caller?.subjectHash ?? '',
        record.version,
      ],
      doubles: [record.status, record.durationMs, record.toolCall ? 1 : 0, record.toolCall?.failed ? 1 : 0],
    });
  } catch (error) {
    console.warn(`analytics: data point not written (${error instanceof Error ? error.message : String(error)})`);
  }
}
