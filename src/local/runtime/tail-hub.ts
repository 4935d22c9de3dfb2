import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptWebSocket, type WebSocketConnection } from '../net/websocket.js';
import type { TailSink } from './edge-internal-worker.js';

/**
 * `wrangler tail` on the local edge. As on Cloudflare, `POST …/scripts/<worker>/tails` creates a
 * tail and answers the URL of a WebSocket (protocol trace-v1) that streams one JSON message per
 * invocation of the worker: its request, outcome, console output and exceptions. The URL is the
 * capability (wrangler sends no token on the socket), so its id is 16 random bytes: 32 hex characters,
 * the length of Cloudflare's identifiers in its schema, and 128 bits no one guesses. The events come
 * from workerd's own tail mechanism (edge-internal-worker.ts), with secrets in headers redacted there.
 */

export const TAIL_PROTOCOL = 'trace-v1';
export const TAIL_PATH_PREFIX = '/__edge/tails/';
/** How long a tail lives, as Cloudflare's do (wrangler shows the expiry and reconnects after it). */
const TAIL_TTL_MS = 6 * 60 * 60 * 1000;

export interface TailRecord {
  id: string;
  url: string;
  expires_at: string;
}

interface Session {
  record: TailRecord;
  script: string;
  expiresAt: number;
  sockets: Set<WebSocketConnection>;
}

export class TailHub implements TailSink {
  private readonly sessions = new Map<string, Session>();

  /** `socketBase`: e.g. ws://127.0.0.1:8787 (known once the edge listens). */
  constructor(
    private readonly socketBase: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  create(script: string): TailRecord {
    this.prune();
    const id = randomBytes(16).toString('hex');
    const expiresAt = this.now() + TAIL_TTL_MS;
    const record = { id, url: `${this.socketBase()}${TAIL_PATH_PREFIX}${id}`, expires_at: new Date(expiresAt).toISOString() };
    this.sessions.set(id, { record, script, expiresAt, sockets: new Set() });
    return record;
  }

  /** The worker's newest live tail (Cloudflare's `GET …/tails` answers one tail, not a list); undefined when it has none. */
  current(script: string): TailRecord | undefined {
    this.prune();
    return [...this.sessions.values()].filter((session) => session.script === script).at(-1)?.record;
  }

  /** False when the worker has no such tail. */
  delete(script: string, id: string): boolean {
    const session = this.sessions.get(id);
    if (!session || session.script !== script) return false;
    this.end(id, session);
    return true;
  }

  /** A deleted worker's tails end with it. */
  deleteScript(script: string): void {
    for (const [id, session] of this.sessions) if (session.script === script) this.end(id, session);
  }

  /** Takes a WebSocket upgrade for a tail URL; false when the path names no live tail (the caller refuses it). */
  attach(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith(TAIL_PATH_PREFIX)) return false;
    this.prune();
    const session = this.sessions.get(path.slice(TAIL_PATH_PREFIX.length));
    if (!session) return false;
    const connection = acceptWebSocket(req, socket, head, [TAIL_PROTOCOL]);
    if (!connection) return true;
    session.sockets.add(connection);
    connection.onClose(() => session.sockets.delete(connection));
    return true;
  }

  /** The workers someone listens to now (the others' trace items are not even sent here). */
  watched(): string[] {
    const scripts = new Set<string>();
    for (const session of this.sessions.values()) if (session.sockets.size > 0) scripts.add(session.script);
    return [...scripts];
  }

  /** Sends each event (a trace item as workerd serialises it) to every socket tailing `script`. */
  publish(script: string, events: readonly unknown[]): void {
    const messages = events.map((event) => JSON.stringify({ ...(event as Record<string, unknown>), scriptName: script }));
    for (const session of this.sessions.values()) {
      if (session.script !== script || session.expiresAt <= this.now()) continue;
      for (const socket of session.sockets) for (const message of messages) socket.send(message);
    }
  }

  closeAll(): void {
    for (const [id, session] of this.sessions) this.end(id, session);
  }

  private end(id: string, session: Session): void {
    for (const socket of session.sockets) socket.close(1000);
    this.sessions.delete(id);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.end(id, session);
  }
}
