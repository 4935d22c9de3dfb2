import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ApiResponse } from './envelope.js';

/** Between Node's http server and the edge's handlers, which take a fetch Request and answer an ApiResponse. */

/** The request as a fetch Request; its body streams from the socket (never buffered here). */
export function toWebRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.set(key, value);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(`http://127.0.0.1${req.url ?? '/'}`, {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  } as RequestInit);
}

/** Writes an answer: JSON for an envelope, the bytes as they are for content (a worker's script). */
export function writeApi(res: ServerResponse, response: ApiResponse): void {
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  let payload: string | Uint8Array;
  if (response.body instanceof Uint8Array) {
    payload = response.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else {
    payload = JSON.stringify(response.body);
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}
