import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyId } from '../src/signing';
import { connect, requiredSecrets, startUpstream, startWorkers, type TestClient, type Upstream, type Workers } from './harness';

/**
 * The worker as its callers see it: the tools over MCP, and a door that stays shut without the
 * right key or while a required secret is missing. `npm test` runs this; add a test here for
 * every tool you add to src/tools.ts.
 */

const ACME = { API_KEY: 'acme-test-key-7f3a', UPSTREAM_TOKEN: 'acme-upstream-token-91c2', UPSTREAM_SIGNING_KEY: 'acme-signing-key-5e0a' };
const GLOBEX = { API_KEY: 'globex-test-key-4d8e', UPSTREAM_TOKEN: 'globex-upstream-token-2b6f' };

let workers: Workers;
let upstream: Upstream;
let required: string[];

beforeAll(async () => {
  upstream = await startUpstream();
  required = await requiredSecrets();
  // Every required secret set, as `mcp-fleet secrets push` leaves a client.
  const complete = (values: Record<string, string>) => ({ ...Object.fromEntries(required.map((key) => [key, `${key}-value`])), ...values });
  const clients: TestClient[] = [
    { name: 'acme', vars: { UPSTREAM_URL: `${upstream.url}/api` }, secrets: complete(ACME) },
    { name: 'globex', secrets: complete(GLOBEX) },
    // One client per required secret, with everything but that one.
    ...required.map((missing) => ({
      name: `without-${missing.toLowerCase().replaceAll('_', '-')}`,
      secrets: Object.fromEntries(Object.entries(complete(ACME)).filter(([key]) => key !== missing)),
    })),
  ];
  workers = await startWorkers(clients);
});

afterAll(async () => {
  await workers?.dispose();
  await upstream?.close();
});

describe('tools', () => {
  it('tools/list names the tools of src/tools.ts', async () => {
    const mcp = await connect(workers, 'acme', ACME.API_KEY);
    try {
      const { tools } = await mcp.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['fetch_upstream', 'whoami']);
    } finally {
      await mcp.close();
    }
  });

  it('whoami answers each client with its own id, and names the caller and how they got in', async () => {
    for (const [client, key] of [
      ['acme', ACME.API_KEY],
      ['globex', GLOBEX.API_KEY],
    ] as const) {
      const mcp = await connect(workers, client, key);
      try {
        expect((await mcp.callTool({ name: 'whoami', arguments: {} })).structuredContent).toEqual({ client, subject: 'key', via: 'key' });
      } finally {
        await mcp.close();
      }
    }
  });

  it("fetch_upstream GETs below the client's UPSTREAM_URL with the client's UPSTREAM_TOKEN", async () => {
    const mcp = await connect(workers, 'acme', ACME.API_KEY);
    try {
      upstream.hits.length = 0;
      const result = await mcp.callTool({ name: 'fetch_upstream', arguments: { path: '/items?limit=2' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ status: 200, body: JSON.stringify({ path: '/api/items?limit=2' }), truncated: false });
      expect(upstream.hits.map((hit) => [hit.path, hit.headers.authorization])).toEqual([
        ['/api/items?limit=2', `Bearer ${ACME.UPSTREAM_TOKEN}`],
      ]);
    } finally {
      await mcp.close();
    }
  });

  it("fetch_upstream signs its request with the client's UPSTREAM_SIGNING_KEY, and never sends the caller's key", async () => {
    const mcp = await connect(workers, 'acme', ACME.API_KEY);
    try {
      upstream.hits.length = 0;
      await mcp.callTool({ name: 'fetch_upstream', arguments: { path: '/items' } });
      const headers = upstream.hits[0]?.headers ?? {};
      expect(headers['mcp-fleet-client']).toBe('acme');
      expect(headers['signature-input']).toContain(`keyid="${await keyId('acme', ACME.UPSTREAM_SIGNING_KEY)}"`);
      expect(headers.signature).toMatch(/^sig1=:[A-Za-z0-9+/]+=*:$/);
      expect(JSON.stringify(headers)).not.toContain(ACME.API_KEY);
    } finally {
      await mcp.close();
    }
  });

  it('fetch_upstream is an error result, not a crash, when the client has no upstream', async () => {
    const mcp = await connect(workers, 'globex', GLOBEX.API_KEY);
    try {
      const result = await mcp.callTool({ name: 'fetch_upstream', arguments: {} });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('UPSTREAM_URL');
    } finally {
      await mcp.close();
    }
  });
});

describe('auth fails closed', () => {
  /** A raw 2025-style initialize: the first request any host sends. */
  async function initialize(client: string, headers: Record<string, string>): Promise<Response> {
    return fetch(workers.url(client, '/mcp'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      }),
    });
  }

  it('no key: 401 with a Bearer challenge', async () => {
    const response = await initialize('acme', {});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it("a wrong key, or another client's key: 401", async () => {
    for (const key of ['wrong', `${ACME.API_KEY}x`, GLOBEX.API_KEY]) {
      expect((await initialize('acme', { authorization: `Bearer ${key}` })).status, key).toBe(401);
    }
    expect((await initialize('acme', { authorization: `Bearer ${ACME.API_KEY}` })).status).toBe(200);
  });

  it('a missing required secret (any key of .secrets.template): 503 on /mcp, even with the right key, and /ready names it', async () => {
    expect(required.length).toBeGreaterThan(0);
    for (const missing of required) {
      const client = `without-${missing.toLowerCase().replaceAll('_', '-')}`;
      const key = missing === 'API_KEY' ? 'anything' : ACME.API_KEY;
      const mcp = await initialize(client, { authorization: `Bearer ${key}` });
      expect(mcp.status, client).toBe(503);
      const ready = await fetch(workers.url(client, '/ready'));
      expect(ready.status, client).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', missing: [missing] });
    }
    expect((await fetch(workers.url('acme', '/ready'))).status).toBe(200);
  });

  it('no secret value ever reaches an answer or a log line', async () => {
    const ready = await (await fetch(workers.url('without-upstream-token', '/ready'))).text();
    const logged = workers.logs.join('\n');
    for (const value of [...Object.values(ACME), ...Object.values(GLOBEX)]) {
      expect(ready).not.toContain(value);
      expect(logged).not.toContain(value);
    }
  });
});
