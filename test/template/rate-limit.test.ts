import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkNodeModules, tempDir } from '../helpers/cli.js';
import { freshRateWindow } from '../helpers/rate-window.js';
import { bundleProject, scaffoldTemplateProject, TEST_COMPATIBILITY_DATE } from '../helpers/template.js';

/**
 * The template's per-client rate limit, run by workerd's own Rate Limiting binding: a client limited
 * to N calls per 10 s answers N, then 429 with the headers and body hosts and agents can act on.
 */

const LIMIT = 3;
const KEY = 'limited-key-5c1e9a0b7d';
const PREVIOUS_KEY = 'limited-old-key-2f8b6e4c';
const LIMITED = ['headers', 'subjects', 'tools', 'made-up', 'wrong-key'] as const;

let cleanup: () => Promise<void> = async () => {};
let mf: Miniflare | undefined;
const urls = new Map<string, URL>();

beforeAll(async () => {
  const tmp = await tempDir('mcp-fleet-ratelimit-');
  cleanup = tmp.cleanup;
  const project = join(tmp.dir, 'project');
  await scaffoldTemplateProject(project, 'fleet-test');
  await linkNodeModules(project);
  const outdir = join(tmp.dir, 'out');
  const bundle = await bundleProject(project, outdir);
  if (bundle.exitCode !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${bundle.output}`);
  const secrets = { API_KEY: KEY, API_KEY_PREVIOUS: PREVIOUS_KEY, UPSTREAM_TOKEN: 'upstream-token-91d2' };
  // One limited worker per test, so each starts with a full budget whatever ran before it.
  const workers = [
    ...LIMITED.map((name) => ({ name, bindings: { CLIENT_ID: name, RATE_LIMIT: `${LIMIT}/10`, ...secrets }, limit: LIMIT })),
    { name: 'unlimited', bindings: { CLIENT_ID: 'unlimited', ...secrets }, limit: undefined },
  ];
  mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: workers.map((worker, index) => ({
        name: worker.name,
        compatibilityDate: TEST_COMPATIBILITY_DATE,
        modulesRoot: outdir,
        modules: [{ type: 'ESModule', path: bundle.entry }],
        bindings: worker.bindings,
        ...(worker.limit === undefined
          ? {}
          : { ratelimits: { RATE_LIMITER: { namespace_id: String(1001 + index), simple: { limit: worker.limit, period: 10 } } } }),
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      })),
    }),
  );
  await mf.ready;
  for (const worker of workers) urls.set(worker.name, await mf.unsafeGetDirectURL(worker.name));
}, 180_000);

afterAll(async () => {
  await mf?.dispose();
  await cleanup();
});

function url(worker: string, path: string): URL {
  const base = urls.get(worker);
  if (!base) throw new Error(`no worker ${worker}`);
  return new URL(path, base);
}

/** One MCP call as a host sends it: a JSON-RPC initialize with the key, optionally naming a tool. */
async function call(worker: string, key = KEY, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(url(worker, '/mcp'), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'rate-limit-test', version: '0' } },
    }),
  });
  await response.arrayBuffer();
  return response;
}

async function statuses(worker: string, count: number, key = KEY, headers: Record<string, string> = {}): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) seen.push((await call(worker, key, headers)).status);
  return seen;
}

describe('rate limits on /mcp', () => {
  it('answers N calls, then 429 with Retry-After, X-RateLimit-* and a JSON body carrying retryAfter', async () => {
    await freshRateWindow(10);
    expect(await statuses('headers', LIMIT)).toEqual(Array(LIMIT).fill(200));
    const limited = await fetch(url('headers', '/mcp'), {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe('10');
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await limited.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'rate_limited', retryAfter: 10 });
    expect(typeof body.message).toBe('string');
  });

  it('never limits /health or /ready', async () => {
    for (let i = 0; i < LIMIT * 3; i += 1) {
      const health = await fetch(url('headers', '/health'));
      await health.arrayBuffer();
      expect(health.status).toBe(200);
      const ready = await fetch(url('headers', '/ready'));
      await ready.arrayBuffer();
      expect(ready.status).not.toBe(429);
    }
  });

  it('limits each subject separately: the previous key (another subject) keeps its own calls', async () => {
    await freshRateWindow(10);
    expect(await statuses('subjects', LIMIT)).toEqual(Array(LIMIT).fill(200));
    expect((await call('subjects')).status).toBe(429);
    expect(await statuses('subjects', LIMIT, PREVIOUS_KEY)).toEqual(Array(LIMIT).fill(200));
    expect((await call('subjects', PREVIOUS_KEY)).status).toBe(429);
  });

  it('counts each tool the host names (Mcp-Name) on its own', async () => {
    await freshRateWindow(10);
    expect(await statuses('tools', LIMIT)).toEqual(Array(LIMIT).fill(200));
    expect((await call('tools')).status).toBe(429);
    expect(await statuses('tools', LIMIT, KEY, { 'mcp-name': 'whoami' })).toEqual(Array(LIMIT).fill(200));
    expect((await call('tools', KEY, { 'mcp-name': 'whoami' })).status).toBe(429);
  });

  it("gives a made-up tool name no budget of its own: it counts with the caller's calls that name none", async () => {
    await freshRateWindow(10);
    expect(await statuses('made-up', LIMIT)).toEqual(Array(LIMIT).fill(200));
    expect((await call('made-up', KEY, { 'mcp-name': 'made-up-1' })).status).toBe(429);
    expect((await call('made-up', KEY, { 'mcp-name': 'made-up-2' })).status).toBe(429);
  });

  it('refuses a wrong key with 401, not 429, and does not spend the budget on it', async () => {
    await freshRateWindow(10);
    expect(await statuses('wrong-key', LIMIT + 1, 'not-the-key-000000')).toEqual(Array(LIMIT + 1).fill(401));
    expect(await statuses('wrong-key', LIMIT)).toEqual(Array(LIMIT).fill(200));
  });

  it('has no limit without the binding (a section from before rate limits)', async () => {
    expect(await statuses('unlimited', LIMIT * 3)).toEqual(Array(LIMIT * 3).fill(200));
  });
});
