/**
 * A tail message (trace-v1: one JSON object per invocation of the worker) read into the event
 * `logs` prints. Only what an operator needs is kept — when, the request line and status, the
 * outcome, console output, exceptions. Request headers and Cloudflare's `cf` object are dropped
 * whole (Cloudflare redacts Authorization and Cookie, but other headers can carry credentials too),
 * and the values of query and fragment parameters named like credentials are blanked, in the
 * request's URL and in any URL a console line or an exception prints (credential-params.ts).
 */

import { redactParamsIn, redactUrl } from './credential-params.js';

export interface LogLine {
  level: string;
  time: string | undefined;
  /** The console arguments joined with spaces; objects as JSON. */
  message: string;
}

export interface WorkerException {
  name: string;
  message: string;
}

export interface TailEvent {
  client: string;
  worker: string;
  /** ISO time of the invocation. */
  time: string | undefined;
  /** ok, exception, exceededCpu, exceededMemory, canceled, unknown… */
  outcome: string;
  /** For fetch events. */
  request?: { method: string; url: string; status: number | undefined };
  /** For other events: what triggered it (cron, alarm, queue, email, …). */
  trigger?: string;
  logs: LogLine[];
  exceptions: WorkerException[];
}

export { redactUrl };

/** A console argument as text. */
function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isoOf(value: unknown): string | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function triggerOf(event: Json | undefined): string | undefined {
  if (!event) return undefined;
  if (typeof event.cron === 'string') return `cron ${event.cron}`;
  if (typeof event.queue === 'string') return `queue ${event.queue}`;
  if (typeof event.mailFrom === 'string') return 'email';
  if (typeof event.rpcMethod === 'string') return `rpc ${event.rpcMethod}`;
  if ('scheduledTime' in event) return 'alarm';
  if (typeof event.type === 'string' && typeof event.message === 'string') return `${event.type}: ${event.message}`;
  return undefined;
}

/** The events in one tail message (one per invocation; a list is read too); [] for anything unreadable. */
export function parseTailMessage(text: string, client: string, worker: string): TailEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.flatMap((item) => {
    const raw = asObject(item);
    return raw ? [eventOf(raw, client, worker)] : [];
  });
}

function eventOf(raw: Json, client: string, worker: string): TailEvent {
  const event = asObject(raw.event);
  const request = asObject(event?.request);
  const response = asObject(event?.response);
  const logs = Array.isArray(raw.logs) ? raw.logs : [];
  const exceptions = Array.isArray(raw.exceptions) ? raw.exceptions : [];
  const result: TailEvent = {
    client,
    worker,
    time: isoOf(raw.eventTimestamp),
    outcome: typeof raw.outcome === 'string' ? raw.outcome : 'unknown',
    logs: logs.flatMap((entry) => {
      const line = asObject(entry);
      if (!line) return [];
      const parts = Array.isArray(line.message) ? line.message : [line.message];
      return [
        {
          level: typeof line.level === 'string' ? line.level : 'log',
          time: isoOf(line.timestamp),
          message: redactParamsIn(parts.map(show).join(' ')),
        },
      ];
    }),
    exceptions: exceptions.flatMap((entry) => {
      const exception = asObject(entry);
      if (!exception) return [];
      return [{ name: typeof exception.name === 'string' ? exception.name : 'Error', message: redactParamsIn(show(exception.message)) }];
    }),
  };
  if (request && typeof request.url === 'string') {
    result.request = {
      method: typeof request.method === 'string' ? request.method.toUpperCase() : 'GET',
      url: redactUrl(request.url),
      status: typeof response?.status === 'number' ? response.status : undefined,
    };
  } else {
    const trigger = triggerOf(event);
    if (trigger !== undefined) result.trigger = trigger;
  }
  return result;
}
