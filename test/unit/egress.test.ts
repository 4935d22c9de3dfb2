import { createServer, type Server } from 'node:http';
import { Request as MiniflareRequest } from 'miniflare';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BlockedFetch, createEgress } from '../../src/local/runtime/egress.js';

/**
 * Workers cannot reach this machine: the edge's egress, called as workerd calls it (a miniflare Request), against a
 * listener on 127.0.0.1. Only loopback is ever connected to.
 */

let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      hits.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(201, { 'x-upstream': 'yes' }).end(`got ${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the egress keeps workers off this machine', () => {
  test('loopback is refused with 403 and nothing is sent; the edge is told, without the path', async () => {
    const blocked: BlockedFetch[] = [];
    const egress = createEgress({ allowLoopback: false, onBlocked: (entry) => blocked.push(entry) })('acme');
    hits.length = 0;
    const response = await egress(new MiniflareRequest(`http://127.0.0.1:${port}/secret-path?token=x`, { method: 'POST', body: 'abc' }));
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/^error code: 1003 .*127\.0\.0\.1:\d+ is a loopback address/);
    const byName = await egress(new MiniflareRequest(`http://localhost:${port}/`));
    expect(byName.status).toBe(403);
    expect(hits).toEqual([]);
    expect(blocked).toEqual([
      { worker: 'acme', target: `http://127.0.0.1:${port}`, addressClass: 'loopback' },
      { worker: 'acme', target: `http://localhost:${port}`, addressClass: 'loopback' },
    ]);
  });

  test('with loopback allowed (a local mock upstream), the request and the answer pass through', async () => {
    const egress = createEgress({ allowLoopback: true })('acme');
    hits.length = 0;
    const response = await egress(new MiniflareRequest(`http://127.0.0.1:${port}/items?x=1`, { method: 'POST', body: 'abc' }));
    expect(response.status).toBe(201);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(await response.text()).toBe('got abc');
    expect(hits).toEqual(['POST /items?x=1 abc']);
  });

  test("an origin that refuses the connection gets Cloudflare's 521, not a thrown error", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const response = await createEgress({ allowLoopback: true })('acme')(new MiniflareRequest(`http://127.0.0.1:${closedPort}/`));
    expect(response.status).toBe(521);
  });
});
