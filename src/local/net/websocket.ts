import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The server side of a WebSocket (RFC 6455), as much as `wrangler tail` needs: the handshake with a
 * subprotocol, text frames out, and the control frames a client sends (ping, close); the client's
 * own messages (tail filters) are read and dropped. Small enough to own rather than add a dependency.
 */

export interface WebSocketConnection {
  send(text: string): void;
  close(code?: number): void;
  onClose(listener: () => void): void;
  readonly open: boolean;
}

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A client message larger than this closes the connection (1009): nothing a tail client sends is big. */
const MAX_INCOMING = 1024 * 1024;

/** Completes the handshake and returns the connection, or answers 400 and returns undefined. */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocols: readonly string[],
): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const chosen = offered.find((p) => protocols.includes(p));
  const accept = createHash('sha1').update(`${key}${ACCEPT_GUID}`).digest('base64');
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`,
      ...(chosen ? [`Sec-WebSocket-Protocol: ${chosen}`] : []),
      '',
      '',
    ].join('\r\n'),
  );
  return connection(socket, head);
}

function connection(socket: Duplex, head: Buffer): WebSocketConnection {
  let open = true;
  let pending = head;
  const listeners: Array<() => void> = [];
  const finish = () => {
    if (!open) return;
    open = false;
    for (const listener of listeners) listener();
  };
  const write = (opcode: number, payload: Buffer) => {
    if (socket.writable) socket.write(frame(opcode, payload));
  };
  const close = (code = 1000) => {
    if (!open) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    write(0x8, body);
    socket.end();
    finish();
  };
  const onData = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const parsed = parseFrame(pending);
      if (parsed === 'incomplete') return;
      if (parsed === 'too-large') return close(1009);
      pending = pending.subarray(parsed.length);
      if (parsed.opcode === 0x8) return close(parsed.payload.length >= 2 ? parsed.payload.readUInt16BE(0) : 1000);
      if (parsed.opcode === 0x9) write(0xa, parsed.payload);
    }
  };
  socket.on('data', onData);
  socket.on('close', finish);
  socket.on('error', () => {
    socket.destroy();
    finish();
  });
  if (head.length > 0) queueMicrotask(() => onData(Buffer.alloc(0)));
  return {
    send: (text) => {
      if (open) write(0x1, Buffer.from(text, 'utf8'));
    },
    close,
    onClose: (listener) => {
      listeners.push(listener);
    },
    get open() {
      return open;
    },
  };
}

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = length;
  else if (length < 65536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/** One frame from the front of `data` (clients always mask), or why there is none yet. */
function parseFrame(data: Buffer): { opcode: number; payload: Buffer; length: number } | 'incomplete' | 'too-large' {
  if (data.length < 2) return 'incomplete';
  const opcode = (data[0] as number) & 0x0f;
  const masked = ((data[1] as number) & 0x80) !== 0;
  let length = (data[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return 'incomplete';
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return 'incomplete';
    const big = data.readBigUInt64BE(2);
    if (big > BigInt(MAX_INCOMING)) return 'too-large';
    length = Number(big);
    offset = 10;
  }
  if (length > MAX_INCOMING) return 'too-large';
  const maskBytes = masked ? 4 : 0;
  if (data.length < offset + maskBytes + length) return 'incomplete';
  const mask = data.subarray(offset, offset + maskBytes);
  const payload = Buffer.from(data.subarray(offset + maskBytes, offset + maskBytes + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return { opcode, payload, length: offset + maskBytes + length };
}
