import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stripVTControlCharacters as plain } from 'node:util';
import { describe, expect, test } from 'vitest';
import { connectTail, type TailApi, type TailConnection } from '../../src/cloudflare/tail.js';
import { clientFromEnv } from '../../src/fleet/fleet.js';
import { acceptWebSocket, type WebSocketConnection } from '../../src/local/net/websocket.js';
import { isCredentialParam, redactParamsIn } from '../../src/ops/logs/credential-params.js';
import { parseTailMessage, redactUrl } from '../../src/ops/logs/events.js';
import { streamLogs } from '../../src/ops/logs/logs.js';
import { escapeControls, eventJsonLine, formatEvent } from '../../src/ui/logs-format.js';

/** A trace-v1 message as Cloudflare (and the local edge) send one per invocation. */
const MESSAGE = {
  scriptName: 'acme',
  outcome: 'ok',
  eventTimestamp: Date.parse('2026-11-21T12:00:00Z'),
  event: {
    request: {
      url: 'https://acme.example.workers.dev/mcp?token=abc&page=2',
      method: 'post',
      headers: { authorization: 'REDACTED', 'x-api-key': 'header-credential-123' },
      cf: { colo: 'AMS' },
    },
    response: { status: 401 },
  },
  logs: [
    { level: 'warn', timestamp: Date.parse('2026-11-21T12:00:00Z'), message: ['auth: refused 401, key not valid'] },
    { level: 'log', timestamp: Date.parse('2026-11-21T12:00:00Z'), message: ['n', { a: 1 }, 3] },
  ],
  exceptions: [{ name: 'Error', message: 'boom\nat line 2', timestamp: 0 }],
};

describe('tail events', () => {
  test('keep the request line, status, outcome, console output and exceptions; drop headers and cf whole', () => {
    const [event] = parseTailMessage(JSON.stringify(MESSAGE), 'acme', 'acme-worker');
    expect(event).toEqual({
      client: 'acme',
      worker: 'acme-worker',
      time: '2026-11-21T12:00:00.000Z',
      outcome: 'ok',
      request: { method: 'POST', url: 'https://acme.example.workers.dev/mcp?token=%E2%80%A6&page=2', status: 401 },
      logs: [
        { level: 'warn', time: '2026-11-21T12:00:00.000Z', message: 'auth: refused 401, key not valid' },
        { level: 'log', time: '2026-11-21T12:00:00.000Z', message: 'n {"a":1} 3' },
      ],
      exceptions: [{ name: 'Error', message: 'boom\nat line 2' }],
    });
    expect(eventJsonLine(event as NonNullable<typeof event>)).not.toMatch(/header-credential|REDACTED|headers|colo/);
  });

  test('other triggers, lists, and anything unreadable', () => {
    const [cron] = parseTailMessage(
      JSON.stringify({ outcome: 'exception', event: { cron: '*/5 * * * *' }, logs: [], exceptions: [] }),
      'a',
      'a',
    );
    expect(cron).toMatchObject({ trigger: 'cron */5 * * * *', outcome: 'exception' });
    expect(parseTailMessage(JSON.stringify([MESSAGE, MESSAGE]), 'a', 'a')).toHaveLength(2);
    expect(parseTailMessage('not json', 'a', 'a')).toEqual([]);
    expect(parseTailMessage('42', 'a', 'a')).toEqual([]);
  });

  test('credentials in a URL are blanked, other parameters kept', () => {
    expect(redactUrl('https://u:p@x.dev/a?api_key=1&q=2&Signature=3')).toBe('https://x.dev/a?api_key=%E2%80%A6&q=2&Signature=%E2%80%A6');
    expect(redactUrl('/relative?token=1')).toBe('/relative?…');
  });

  test('human lines: a client prefix on every line, the worker text with its control characters escaped', () => {
    const [event] = parseTailMessage(JSON.stringify(MESSAGE), 'acme', 'acme');
    const lines = formatEvent(event as NonNullable<typeof event>, { clients: ['acme', 'globex'] }).map(plain);
    expect(lines[0]).toMatch(/^acme {4}\d\d:\d\d:\d\d {2}POST \/mcp\?token=%E2%80%A6&page=2 401$/);
    expect(lines[1]).toMatch(/^acme {4}\d\d:\d\d:\d\d {4}warn {2}auth: refused 401, key not valid$/);
    expect(lines[3]).toMatch(/throw Error: boom$/);
    expect(lines[4]).toMatch(/^acme {4}\d\d:\d\d:\d\d {10}at line 2$/);
    expect(escapeControls('a\u001b[31mred\u009b\tb')).toBe('a\\u001b[31mred\\u009b\tb');
    expect(
      eventJsonLine({ ...(event as NonNullable<typeof event>), logs: [{ level: 'log', time: undefined, message: '\u009b2J' }] }),
    ).toContain('\\u009b2J');
  });
});

/** A TailApi and sockets under the test's control, recording every tail created and deleted. */
function fakes(options: { missing?: boolean; failDelete?: boolean; closeAfterOpen?: number } = {}) {
  const created: string[] = [];
  const removed: string[] = [];
  const sockets: { send: (text: string) => void; close: (code: number) => void }[] = [];
  const tails: TailApi = {
    create: async (script) => {
      if (options.missing) return 'missing';
      const id = `${script}-${created.length + 1}`;
      created.push(id);
      return { id, url: `ws://tail.invalid/${id}`, expiresAt: undefined };
    },
    remove: async (_script, id) => {
      if (options.failDelete) throw new Error('503');
      removed.push(id);
    },
  };
  const connect = async (_url: string, onMessage: (text: string) => void): Promise<TailConnection> => {
    let close = (_code: number) => {};
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      close = (code) => resolve({ code, reason: '' });
    });
    sockets.push({ send: onMessage, close });
    if (options.closeAfterOpen !== undefined) setTimeout(() => close(options.closeAfterOpen as number), 5);
    return { closed, close: () => close(1000) };
  };
  return { tails, connect, created, removed, sockets };
}

const clients = [clientFromEnv('/p', 'acme', { name: 'acme' }), clientFromEnv('/p', 'globex', { name: 'globex' })];

describe('streamLogs', () => {
  test('one tail per client; events of each go out prefixed with their client; stopping deletes every tail', async () => {
    const fake = fakes();
    const controller = new AbortController();
    const events: string[] = [];
    const running = streamLogs({
      clients,
      tails: fake.tails,
      connect: fake.connect,
      follow: false,
      signal: controller.signal,
      onEvent: (event) => events.push(`${event.client} ${event.request?.url}`),
    });
    await expect.poll(() => fake.sockets.length).toBe(2);
    fake.sockets[1]?.send(JSON.stringify({ ...MESSAGE, event: { request: { url: 'https://g/x', method: 'GET' } } }));
    fake.sockets[0]?.send(JSON.stringify({ ...MESSAGE, event: { request: { url: 'https://a/y', method: 'GET' } } }));
    controller.abort();
    const results = await running;
    expect(events).toEqual(['globex https://g/x', 'acme https://a/y']);
    expect(fake.removed.sort()).toEqual(fake.created.sort());
    expect(results.map((r) => [r.client, r.events, r.tails, r.ended, r.error])).toEqual([
      ['acme', 1, 1, 'stopped', undefined],
      ['globex', 1, 1, 'stopped', undefined],
    ]);
  });

  test('without --follow a tail closed by Cloudflare ends the client; with it, a new tail is opened', async () => {
    const once = fakes({ closeAfterOpen: 1000 });
    const [ended] = await streamLogs({
      clients: clients.slice(0, 1),
      tails: once.tails,
      connect: once.connect,
      follow: false,
      signal: new AbortController().signal,
      onEvent: () => {},
    });
    expect(ended).toMatchObject({ ended: 'closed', tails: 1 });
    expect(ended?.error).toBeUndefined();
    expect(once.removed).toEqual(once.created);

    const again = fakes({ closeAfterOpen: 1006 });
    const controller = new AbortController();
    const following = streamLogs({
      clients: clients.slice(0, 1),
      tails: again.tails,
      connect: again.connect,
      follow: true,
      signal: controller.signal,
      onEvent: () => {},
      backoffMs: Array.from({ length: 100 }, () => 1),
    });
    await expect.poll(() => again.created.length).toBeGreaterThanOrEqual(3);
    controller.abort();
    const [followed] = await following;
    expect(followed?.ended).toBe('stopped');
    expect(again.removed.sort()).toEqual(again.created.sort());

    // A tail that closes as soon as it opens is tried again after each backoff, then given up.
    const flapping = fakes({ closeAfterOpen: 1011 });
    const [gaveUp] = await streamLogs({
      clients: clients.slice(0, 1),
      tails: flapping.tails,
      connect: flapping.connect,
      follow: true,
      signal: new AbortController().signal,
      onEvent: () => {},
      backoffMs: [1, 2],
    });
    expect(gaveUp).toMatchObject({ tails: 3, error: { message: 'the tail of worker acme keeps closing' } });
    expect(flapping.removed).toEqual(flapping.created);
  });

  test('a client without a worker fails alone, saying so; a tail that cannot be deleted fails its client', async () => {
    const missing = fakes({ missing: true });
    const [result] = await streamLogs({
      clients: clients.slice(0, 1),
      tails: missing.tails,
      connect: missing.connect,
      follow: false,
      signal: new AbortController().signal,
      onEvent: () => {},
    });
    expect(result?.error?.message).toBe('worker acme does not exist');

    const stuck = fakes({ failDelete: true });
    const controller = new AbortController();
    const running = streamLogs({
      clients: clients.slice(0, 1),
      tails: stuck.tails,
      connect: stuck.connect,
      follow: false,
      signal: controller.signal,
      onEvent: () => {},
    });
    await expect.poll(() => stuck.sockets.length).toBe(1);
    controller.abort();
    const [left] = await running;
    expect(left).toMatchObject({ leftOpen: 1, error: { message: '1 tail(s) of worker acme could not be deleted' } });
  });
});

describe('connectTail', () => {
  test("speaks trace-v1 with the edge's WebSocket server: messages in, a close seen by both sides", async () => {
    let server: WebSocketConnection | undefined;
    let serverClosed = false;
    const http = createServer();
    http.on('upgrade', (req, socket, head) => {
      server = acceptWebSocket(req, socket, head, ['trace-v1']);
      server?.onClose(() => {
        serverClosed = true;
      });
      server?.send(JSON.stringify(MESSAGE));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const received: string[] = [];
      const connection = await connectTail(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/tail`, (text) => received.push(text));
      await expect.poll(() => received.length).toBe(1);
      expect(JSON.parse(received[0] as string)).toMatchObject({ scriptName: 'acme' });
      connection.close();
      expect((await connection.closed).code).toBe(1000);
      await expect.poll(() => serverClosed).toBe(true);
      // A URL nobody serves is refused without naming the URL (it is a credential).
      await expect(connectTail('ws://127.0.0.1:1/secret-tail-id', () => {}, { timeoutMs: 5000 })).rejects.toThrow(
        /^the tail could not be opened/,
      );
    } finally {
      http.close();
    }
  });
});

describe('credential-named parameters are blanked (the list)', () => {
  // Each is a parameter name a credential travels under somewhere (OAuth, JWT bearer, AWS/GCS/Azure presigned URLs, API keys).
  const credentials = [
    'jwt',
    'JWT',
    'token',
    'Token',
    'access_token',
    'id_token',
    'refresh_token',
    'client_secret',
    'code',
    'auth_code',
    'api_key',
    'apikey',
    'apiKey',
    'x-api-key',
    'key',
    'password',
    'passwd',
    'pwd',
    'passphrase',
    'secret',
    'signature',
    'sig',
    'X-Amz-Signature',
    'X-Amz-Credential',
    'X-Amz-Security-Token',
    'AWSAccessKeyId',
    'X-Goog-Signature',
    'session',
    'session_id',
    'sid',
    'otp',
    'authorization',
    'bearer',
    'client_assertion',
    'SAMLResponse',
    'ticket',
    'hmac',
    'oauth_verifier',
    'private_key',
  ];
  const ordinary = ['page', 'q', 'limit', 'cursor', 'format', 'lang', 'id', 'client_id', 'redirect_uri', 'scope', 'm', 'sort'];

  test.each(credentials)('%s is a credential', (name) => {
    expect(isCredentialParam(name)).toBe(true);
    expect(redactUrl(`https://x.dev/a?${encodeURIComponent(name)}=v4lue-1234&page=2`)).toBe(
      `https://x.dev/a?${encodeURIComponent(name)}=%E2%80%A6&page=2`,
    );
  });

  test.each(ordinary)('%s is not', (name) => {
    expect(isCredentialParam(name)).toBe(false);
    expect(redactUrl(`https://x.dev/a?${name}=2`)).toBe(`https://x.dev/a?${name}=2`);
  });

  test('in a fragment (the implicit flow) and in URLs inside console lines and exceptions', () => {
    expect(redactUrl('https://app.example/cb#access_token=eyJhbGciOi.x.y&state=s1')).toBe(
      'https://app.example/cb#access_token=%E2%80%A6&state=s1',
    );
    expect(redactParamsIn('GET https://api.example/v1/items?page=2&jwt=eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl done')).toBe(
      'GET https://api.example/v1/items?page=2&jwt=… done',
    );
    expect(redactParamsIn('calling /v1/x?Token=abc12345;sig=zzz and "wss://h/t?apikey=k-123"')).toBe(
      'calling /v1/x?Token=…;sig=… and "wss://h/t?apikey=…"',
    );
    expect(redactParamsIn('fetch failed: https://user:hunter2-password@db.example/x?q=1')).toBe('fetch failed: https://db.example/x?q=1');
    expect(redactParamsIn('a=1 and b=2, no query here')).toBe('a=1 and b=2, no query here');

    const [event] = parseTailMessage(
      JSON.stringify({
        outcome: 'exception',
        event: { request: { url: 'https://acme.example.workers.dev/health?jwt=eyJ0eXAi.abc.def&page=2', method: 'GET' } },
        logs: [{ level: 'log', message: ['upstream', 'https://up.example/a?id_token=eyJraWQi.x.y&page=3'] }],
        exceptions: [{ name: 'Error', message: 'fetch https://up.example/b?refresh_token=rt-0123456789 failed' }],
      }),
      'acme',
      'acme',
    );
    const shown = `${formatEvent(event as NonNullable<typeof event>, { clients: ['acme'] })
      .map(plain)
      .join('\n')}\n${eventJsonLine(event as NonNullable<typeof event>)}`;
    expect(shown).not.toMatch(/eyJ0eXAi|eyJraWQi|rt-0123456789/);
    expect(shown).toContain('page=2');
    expect(shown).toContain('upstream https://up.example/a?id_token=…&page=3');
    expect(shown).toContain('refresh_token=… failed');
  });
});
