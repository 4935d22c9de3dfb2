import { FleetError } from '../util/errors.js';
import { TIMEOUT_MS } from '../util/timeouts.js';
import { type CreateApiOptions, createSdk, isNotFound, toFleetError } from './api.js';
import type { Target } from './target.js';

/**
 * Cloudflare's live tail of a worker, as `wrangler tail` uses it: `POST …/scripts/<worker>/tails`
 * creates a tail and answers the URL of a WebSocket (subprotocol trace-v1) that streams one JSON
 * message per invocation — request, outcome, console output, exceptions — from the moment it is
 * open; nothing from before. `DELETE …/tails/<id>` ends it. The URL is the capability (the socket
 * carries no token), so it is never printed or put in an error.
 */

export const TAIL_PROTOCOL = 'trace-v1';

export interface TailRecord {
  id: string;
  /** The WebSocket URL. A credential: never print it. */
  url: string;
  expiresAt: string | undefined;
}

export interface TailApi {
  /** One call; 'missing' when the worker does not exist. */
  create(script: string): Promise<TailRecord | 'missing'>;
  /** One call; a tail that is gone already counts as removed. */
  remove(script: string, id: string): Promise<void>;
}

export function createTailApi(target: Target, options: CreateApiOptions = {}): TailApi {
  const sdk = createSdk(target, options);
  const tails = (script: string) => `/accounts/${target.accountId}/workers/scripts/${encodeURIComponent(script)}/tails`;
  return {
    async create(script) {
      let body: { result?: { id?: unknown; url?: unknown; expires_at?: unknown } | null };
      try {
        // No filters: every event of the worker (as wrangler sends when given none).
        body = (await sdk.post(tails(script), { body: { filters: [] } })) as typeof body;
      } catch (error) {
        if (isNotFound(error)) return 'missing';
        throw toFleetError(error, `creating a tail of worker ${script}`, target);
      }
      const { id, url, expires_at } = body.result ?? {};
      if (typeof id !== 'string' || typeof url !== 'string' || !/^wss?:\/\//.test(url)) {
        throw new FleetError(`creating a tail of worker ${script}: the answer carries no tail id or WebSocket URL`);
      }
      return { id, url, expiresAt: typeof expires_at === 'string' ? expires_at : undefined };
    },
    async remove(script, id) {
      try {
        await sdk.delete(`${tails(script)}/${encodeURIComponent(id)}`);
      } catch (error) {
        if (isNotFound(error)) return;
        throw toFleetError(error, `deleting the tail of worker ${script}`, target);
      }
    },
  };
}

export interface TailConnection {
  /** Settles when the socket is closed, by either side. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** The WebSocket constructor (Node's global one; tests may pass another). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

export interface ConnectTailOptions {
  /** Give up opening after this long (default TIMEOUT_MS.tailOpen). */
  timeoutMs?: number;
  WebSocket?: WebSocketConstructor;
}

/**
 * Opens a tail's socket and calls `onMessage` with each message's text. Resolves once it is open;
 * rejects (without the URL, which is a credential) when it cannot be opened.
 */
export function connectTail(url: string, onMessage: (text: string) => void, options: ConnectTailOptions = {}): Promise<TailConnection> {
  const Socket = options.WebSocket ?? globalThis.WebSocket;
  const socket = new Socket(url, TAIL_PROTOCOL);
  socket.binaryType = 'arraybuffer';
  const decoder = new TextDecoder();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }));
  });
  socket.addEventListener('message', (event) => {
    // Cloudflare sends binary frames, the local edge text ones: the same JSON either way.
    const data: unknown = event.data;
    if (typeof data === 'string') onMessage(data);
    else if (data instanceof ArrayBuffer) onMessage(decoder.decode(data));
  });
  return new Promise<TailConnection>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new FleetError('the tail did not open in time'));
    }, options.timeoutMs ?? TIMEOUT_MS.tailOpen);
    const fail = () => {
      clearTimeout(timer);
      reject(new FleetError('the tail could not be opened (its WebSocket was refused or closed at once)'));
    };
    socket.addEventListener('error', fail, { once: true });
    socket.addEventListener(
      'open',
      () => {
        clearTimeout(timer);
        socket.removeEventListener('error', fail);
        // As wrangler does: the tail's settings, sent once it is open.
        socket.send(JSON.stringify({ debug: false }));
        resolve({
          closed,
          close: () => {
            if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(1000);
          },
        });
      },
      { once: true },
    );
  });
}
