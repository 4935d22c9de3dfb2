import type { TailEvent } from '../../ops/logs/events.js';
import type { ClientLogs } from '../../ops/logs/logs.js';
import { type ClientFailureJson, clientFailureJson, type FleetJson, fleetJson, SCHEMA_VERSION, type SchemaVersion } from './common.js';

/**
 * `logs --json` is a stream, NDJSON: one LogEventJson per line as events arrive, then one LogsJson
 * line when the stream ends (the one line with `clients`). Every line carries the schema version.
 */

/** One invocation of a client's worker, as Cloudflare's tail reported it (URL query values redacted, headers left out). */
export interface LogEventJson {
  schemaVersion: SchemaVersion;
  client: string;
  worker: string;
  /** ISO time of the invocation. */
  time: string | undefined;
  /** ok, exception, exceededCpu, exceededMemory, canceled, unknown… */
  outcome: string;
  /** Fetch events. */
  request: { method: string; url: string; status: number | undefined } | undefined;
  /** Other events: what triggered it (cron, alarm, queue, email, …). */
  trigger: string | undefined;
  /** Console output; message is the arguments joined with spaces, objects as JSON. */
  logs: { level: string; time: string | undefined; message: string }[];
  exceptions: { name: string; message: string }[];
}

export function logEventJson(event: TailEvent): LogEventJson {
  const { request } = event;
  return {
    schemaVersion: SCHEMA_VERSION,
    client: event.client,
    worker: event.worker,
    time: event.time,
    outcome: event.outcome,
    logs: event.logs.map((line) => ({ level: line.level, time: line.time, message: line.message })),
    exceptions: event.exceptions.map((exception) => ({ name: exception.name, message: exception.message })),
    request: request ? { method: request.method, url: request.url, status: request.status } : undefined,
    trigger: event.trigger,
  };
}

/** What each client's stream did. */
export interface LogsClientJson {
  client: string;
  worker: string;
  events: number;
  /** Tails opened (more than 1 after reconnects). */
  tails: number;
  /** Tails whose deletion failed (they expire on their own). */
  leftOpen: number;
  /** stopped (Ctrl-C) or closed by Cloudflare. */
  ended: 'stopped' | 'closed' | undefined;
  error: ClientFailureJson | undefined;
}

/** The last line of `logs --json`. */
export type LogsJson = FleetJson<LogsClientJson>;

export function logsJson(results: readonly ClientLogs[], ok: boolean): LogsJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    events: result.events,
    tails: result.tails,
    leftOpen: result.leftOpen,
    ended: result.ended,
    error: clientFailureJson(result.error),
  }));
}
