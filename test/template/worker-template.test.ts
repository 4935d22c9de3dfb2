import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type ParseError, parse as parseJsonc } from 'jsonc-parser';
import { convertV4MiniflareOptions, Miniflare, Response as MiniflareResponse } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// metrics --by subject names callers by the hash the worker records: both must compute the same one.
import { subjectHash } from '../../src/ops/metrics/subjects.js';
import { templateKeys } from '../../src/secrets/template.js';
import { linkNodeModules, repoRoot, tempDir } from '../helpers/cli.js';
import {
  ANALYTICS_HARNESS_MODULE,
  bundleProject,
  scaffoldTemplateProject,
  TEST_COMPATIBILITY_DATE,
  templateDir,
} from '../helpers/template.js';

/** What the template writes per request (see templates/project/src/platform/analytics.ts). */
interface DataPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

/** What the test upstream saw; the fetch_upstream tool must send the client's own token. */
interface UpstreamHit {
  path: string;
  authorization: string | undefined;
  /** RFC 9421 signature: none from a worker without UPSTREAM_SIGNING_KEY (as in a project made before signing). */
  signature?: string;
}

interface WorkerSpec {
  name: string;
  vars: Record<string, string>;
  analytics?: 'record' | 'throw' | 'miniflare';
}

const SECRETS = {
  acme: { API_KEY: 'acme-key-0f3c9a7d1e', UPSTREAM_TOKEN: 'acme-upstream-6b2e8c' },
  beta: { API_KEY: 'beta-key-84d1f0b2aa', UPSTREAM_TOKEN: 'beta-upstream-19fd3e' },
} as const;

/** A browser origin acme's env section allows (ALLOWED_ORIGINS); no other worker allows any. */
const ACME_APP = 'https://app.acme.example';

type Generation = 'modern' | 'legacy';
const GENERATIONS: readonly Generation[] = ['modern', 'legacy'];

let cleanup: () => Promise<void> = async () => {};
/** The scaffolded project the bundle was built from. */
let project = '';
let mf: Miniflare | undefined;
let upstream: Server | undefined;
const urls = new Map<string, URL>();
const dataPoints: DataPoint[] = [];
const upstreamHits: UpstreamHit[] = [];
/** Everything the workers logged; checked for secret values at the end. */
const workerLogs: string[] = [];

function workerUrl(name: string, path: string): URL {
  const base = urls.get(name);
  if (!base) throw new Error(`no worker ${name}`);
  return new URL(path, base);
}

async function getJson(
  name: string,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const response = await fetch(workerUrl(name, path), init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as unknown, text };
}

/**
 * A session with the SDK's v2 client: `modern` pins 2026-07-28 (server/discover, no fallback),
 * `legacy` runs the 2025 initialize handshake, as a host of each generation would.
 */
async function connect(name: string, apiKey: string, generation: Generation = 'modern'): Promise<Client> {
  const client = new Client(
    { name: 'worker-template-test', version: '0.0.0' },
    { versionNegotiation: { mode: generation === 'modern' ? { pin: '2026-07-28' } : 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(workerUrl(name, '/mcp'), {
    requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
  });
  await client.connect(transport);
  return client;
}

async function withSession<T>(name: string, apiKey: string, generation: Generation, use: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(name, apiKey, generation);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** A plain JSON-RPC initialize, for checks that need the raw HTTP answer rather than the SDK's view of it. */
function initializeRequest(headers: Record<string, string>, protocolVersion = '2025-11-25'): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    }),
  };
}

async function startUpstream(): Promise<string> {
  upstream = createServer((req, res) => {
    const signature = req.headers.signature ?? req.headers['signature-input'];
    upstreamHits.push({
      path: req.url ?? '',
      authorization: req.headers.authorization,
      ...(signature === undefined ? {} : { signature: String(signature) }),
    });
    if (req.url?.startsWith('/broken')) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
    } else if (req.url?.startsWith('/api/big')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path: req.url }));
    }
  });
  await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const tmp = await tempDir('mcp-fleet-worker-');
  cleanup = tmp.cleanup;
  project = join(tmp.dir, 'project');
  await scaffoldTemplateProject(project, 'fleet-test');
  await linkNodeModules(project);
  const outdir = join(tmp.dir, 'out');
  const bundle = await bundleProject(project, outdir);
  if (bundle.exitCode !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${bundle.output}`);

  const upstreamBase = await startUpstream();
  const downBase = `http://127.0.0.1:${await closedPort()}`;
  const specs: WorkerSpec[] = [
    {
      name: 'acme',
      vars: {
        CLIENT_ID: 'acme',
        UPSTREAM_URL: `${upstreamBase}/api`,
        ALLOWED_ORIGINS: `${ACME_APP}, http://localhost:6274`,
        ...SECRETS.acme,
      },
      analytics: 'record',
    },
    { name: 'beta', vars: { CLIENT_ID: 'beta', ...SECRETS.beta }, analytics: 'record' },
    { name: 'nokey', vars: { CLIENT_ID: 'nokey', UPSTREAM_TOKEN: 'nokey-upstream-7a1c' }, analytics: 'record' },
    { name: 'nosecrets', vars: { CLIENT_ID: 'nosecrets' } },
    { name: 'noupstream-token', vars: { CLIENT_ID: 'noupstream-token', API_KEY: 'nut-key-5e6f7a', UPSTREAM_TOKEN: '' } },
    { name: 'upstream-down', vars: { CLIENT_ID: 'upstream-down', UPSTREAM_URL: downBase, ...SECRETS.acme } },
    { name: 'upstream-5xx', vars: { CLIENT_ID: 'upstream-5xx', UPSTREAM_URL: `${upstreamBase}/broken`, ...SECRETS.acme } },
    { name: 'analytics-throws', vars: { CLIENT_ID: 'analytics-throws', ...SECRETS.acme }, analytics: 'throw' },
    { name: 'analytics-local', vars: { CLIENT_ID: 'analytics-local', ...SECRETS.acme }, analytics: 'miniflare' },
    // A top-level worker made a client by its secrets file alone: every secret, but no CLIENT_ID var.
    { name: 'no-client-id', vars: { ...SECRETS.beta } },
    // Mid-rotation with a grace period: the previous key (acme's) still opens /mcp beside the new one.
    { name: 'grace', vars: { CLIENT_ID: 'grace', ...SECRETS.beta, API_KEY_PREVIOUS: SECRETS.acme.API_KEY } },
  ];

  const harnessPath = join(outdir, 'harness.js');
  const sink = async (request: Request): Promise<MiniflareResponse> => {
    dataPoints.push(...((await request.json()) as DataPoint[]));
    return new MiniflareResponse(null, { status: 204 });
  };
  mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs: (log) => workerLogs.push(`${log.level}: ${log.message}`),
      workers: specs.map((spec) => ({
        name: spec.name,
        compatibilityDate: TEST_COMPATIBILITY_DATE,
        modulesRoot: outdir,
        // The harness only wraps env; the template's own bundle runs unchanged inside it.
        modules: [
          { type: 'ESModule', path: harnessPath, contents: ANALYTICS_HARNESS_MODULE },
          { type: 'ESModule', path: bundle.entry },
        ],
        bindings: { ...spec.vars, ...(spec.analytics === 'throw' ? { ANALYTICS_THROWS: true } : {}) },
        ...(spec.analytics === 'record' ? { serviceBindings: { ANALYTICS_SINK: sink } } : {}),
        ...(spec.analytics === 'miniflare' ? { analyticsEngineDatasets: { ANALYTICS: { dataset: `${spec.name}_metrics` } } } : {}),
        // One loopback port per worker: Node's fetch (and so the MCP SDK client) cannot reach *.localhost.
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      })),
    }),
  );
  await mf.ready;
  for (const spec of specs) urls.set(spec.name, await mf.unsafeGetDirectURL(spec.name));
});

afterAll(async () => {
  await mf?.dispose();
  upstream?.closeAllConnections();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  await cleanup();
});

describe('GET /health', () => {
  it("answers 200 with the client id and the project's package.json version, without auth", async () => {
    const res = await getJson('acme', '/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { version } = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(res.body).toEqual({ status: 'ok', client: 'acme', version });
    expect((await getJson('beta', '/health')).body).toMatchObject({ client: 'beta' });
  });

  it('stays up when secrets are missing (liveness is not readiness)', async () => {
    expect((await getJson('nokey', '/health')).status).toBe(200);
  });
});

describe('GET /ready', () => {
  it('answers 200 when every secret is set and the upstream answers', async () => {
    const res = await getJson('acme', '/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', client: 'acme' });
    // No UPSTREAM_URL: nothing to probe, secrets alone decide.
    expect((await getJson('beta', '/ready')).status).toBe(200);
  });

  it('requires exactly the keys of .secrets.template, in its order: the worker bundles that file', async () => {
    const templatePath = join(project, '.secrets.template');
    const keys = templateKeys(await readFile(templatePath, 'utf8'), templatePath);
    expect(keys).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
    const res = await getJson('nosecrets', '/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'not_ready', missing: keys });
  });

  it('answers 503 naming a missing secret, never a value', async () => {
    const nokey = await getJson('nokey', '/ready');
    expect(nokey.status).toBe(503);
    expect(nokey.body).toMatchObject({ status: 'not_ready', missing: ['API_KEY'] });
    expect(nokey.text).not.toContain('nokey-upstream-7a1c');

    // An empty value counts as missing.
    const nut = await getJson('noupstream-token', '/ready');
    expect(nut.status).toBe(503);
    expect(nut.body).toMatchObject({ status: 'not_ready', missing: ['UPSTREAM_TOKEN'] });
    expect(nut.text).not.toContain('nut-key-5e6f7a');
  });

  it('answers 503 naming a missing CLIENT_ID var, and /mcp stays closed even to the right key', async () => {
    const ready = await getJson('no-client-id', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', missing: ['CLIENT_ID'] });
    const mcp = await getJson('no-client-id', '/mcp', initializeRequest({ authorization: `Bearer ${SECRETS.beta.API_KEY}` }));
    expect(mcp.status).toBe(503);
    expect(mcp.body).toEqual({ error: 'not_ready', missing: ['CLIENT_ID'] });
    expect(ready.text + mcp.text).not.toContain(SECRETS.beta.UPSTREAM_TOKEN);
  });

  it('answers 503 when the upstream is unreachable or failing', async () => {
    const down = await getJson('upstream-down', '/ready');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not_ready', missing: [], upstream: expect.any(String) });

    const failing = await getJson('upstream-5xx', '/ready');
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({ upstream: expect.stringContaining('502') });
    for (const res of [down, failing]) {
      expect(res.text).not.toContain(SECRETS.acme.API_KEY);
      expect(res.text).not.toContain(SECRETS.acme.UPSTREAM_TOKEN);
    }
  });

  it('does not send the client credential on the readiness probe', async () => {
    upstreamHits.length = 0;
    expect((await getJson('acme', '/ready')).status).toBe(200);
    expect(upstreamHits).toEqual([{ path: '/api', authorization: undefined }]);
  });
});

describe('/mcp authentication', () => {
  it('answers 401 with WWW-Authenticate when no key is sent', async () => {
    const res = await getJson('acme', '/mcp', initializeRequest({}));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mcp"');
  });

  it('answers 401 invalid_token for a wrong key, a prefix of the key, or another client’s key', async () => {
    for (const key of ['wrong', SECRETS.acme.API_KEY.slice(0, -1), `${SECRETS.acme.API_KEY}x`, SECRETS.beta.API_KEY]) {
      const res = await getJson('acme', '/mcp', initializeRequest({ authorization: `Bearer ${key}` }));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mcp", error="invalid_token"');
      expect(res.text).not.toContain(SECRETS.acme.API_KEY);
    }
  });

  it('during a grace period accepts API_KEY and API_KEY_PREVIOUS, and nothing else', async () => {
    for (const key of [SECRETS.beta.API_KEY, SECRETS.acme.API_KEY]) {
      expect((await getJson('grace', '/mcp', initializeRequest({ authorization: `Bearer ${key}` }))).status).toBe(200);
    }
    for (const key of ['wrong', `${SECRETS.acme.API_KEY}x`]) {
      expect((await getJson('grace', '/mcp', initializeRequest({ authorization: `Bearer ${key}` }))).status).toBe(401);
    }
  });

  it('fails closed with 503 when the worker has no API_KEY', async () => {
    for (const headers of [{}, { authorization: 'Bearer anything' }, { authorization: 'Bearer ' }] as Record<string, string>[]) {
      const res = await getJson('nokey', '/mcp', initializeRequest(headers));
      expect(res.status).toBe(503);
    }
  });

  it('fails closed with 503 for an authenticated caller while another secret is missing', async () => {
    const res = await getJson('noupstream-token', '/mcp', initializeRequest({ authorization: 'Bearer nut-key-5e6f7a' }));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ missing: ['UPSTREAM_TOKEN'] });
  });

  it('answers 405 to GET and DELETE: a stateless server offers no event stream and no session to end', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(workerUrl('acme', '/mcp'), {
        method,
        headers: { authorization: `Bearer ${SECRETS.acme.API_KEY}`, accept: 'text/event-stream' },
      });
      expect(res.status).toBe(405);
      await res.body?.cancel();
    }
  });

  it('does not look like an OAuth resource: no protected-resource metadata, no resource_metadata in the challenge', async () => {
    // Hosts that find OAuth metadata (Cursor) drop the configured key and start an OAuth flow instead.
    const metadata = await getJson('acme', '/.well-known/oauth-protected-resource');
    expect(metadata.status).toBe(404);
    const challenge = await getJson('acme', '/mcp', initializeRequest({}));
    expect(challenge.headers.get('www-authenticate')).not.toContain('resource_metadata');
  });
});

describe('MCP in both generations from one /mcp', () => {
  it('serves 2026-07-28 through server/discover and 2025-11-25, 2025-06-18, 2025-03-26 through initialize', async () => {
    const discovered = await withSession('acme', SECRETS.acme.API_KEY, 'modern', async (client) => ({
      era: client.getProtocolEra(),
      version: client.getNegotiatedProtocolVersion(),
      supported: client.getDiscoverResult()?.supportedVersions,
    }));
    expect(discovered).toEqual({ era: 'modern', version: '2026-07-28', supported: ['2026-07-28'] });
    for (const revision of ['2025-11-25', '2025-06-18', '2025-03-26']) {
      const res = await getJson('acme', '/mcp', initializeRequest({ authorization: `Bearer ${SECRETS.acme.API_KEY}` }, revision));
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ result: { protocolVersion: revision, serverInfo: { name: 'mcp-fleet-worker' } } });
    }
  });

  it('advertises only what it implements: no listChanged it could never send, empty prompt and resource lists', async () => {
    for (const generation of GENERATIONS) {
      await withSession('acme', SECRETS.acme.API_KEY, generation, async (client) => {
        expect(client.getServerCapabilities(), generation).toEqual({
          tools: { listChanged: false },
          prompts: { listChanged: false },
          resources: { listChanged: false },
        });
        expect((await client.listPrompts()).prompts).toEqual([]);
        expect((await client.listResources()).resources).toEqual([]);
      });
    }
  });

  it('answers JSON to a client that accepts JSON (application/json, */*, no Accept), 406 to one that does not', async () => {
    const key = { authorization: `Bearer ${SECRETS.acme.API_KEY}` };
    for (const accept of ['application/json', '*/*', 'application/*;q=0.8', undefined]) {
      const init = initializeRequest(key);
      const headers = new Headers(init.headers);
      if (accept === undefined) headers.delete('accept');
      else headers.set('accept', accept);
      const res = await getJson('acme', '/mcp', { ...init, headers });
      expect(res.status, `Accept: ${accept}`).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ result: { protocolVersion: '2025-11-25' } });
    }
    const sseOnly = initializeRequest({ ...key, accept: 'text/event-stream' });
    expect((await getJson('acme', '/mcp', sseOnly)).status).toBe(406);
  });
});

describe('Origin', () => {
  const key = { authorization: `Bearer ${SECRETS.acme.API_KEY}` };

  it('refuses a foreign Origin with 403, with or without the key, before the key is even looked at', async () => {
    for (const origin of ['https://evil.example', 'http://localhost:6275', 'null', `${ACME_APP}.evil.example`]) {
      for (const headers of [{ origin, ...key }, { origin }]) {
        const res = await getJson('acme', '/mcp', initializeRequest(headers));
        expect(res.status, `${origin} ${Object.keys(headers).join(',')}`).toBe(403);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
    }
  });

  it('serves an origin listed in ALLOWED_ORIGINS, with CORS headers for it, in both generations', async () => {
    const res = await getJson('acme', '/mcp', initializeRequest({ origin: ACME_APP, ...key }));
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ACME_APP);
    expect(res.headers.get('access-control-expose-headers')).toContain('mcp-protocol-version');
    expect(res.headers.get('vary')).toContain('origin');
    // The 401 a browser client gets without a key is readable to it too, challenge included.
    const refused = await fetch(workerUrl('acme', '/mcp'), initializeRequest({ origin: ACME_APP }));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(ACME_APP);
    expect(refused.headers.get('access-control-expose-headers')).toContain('www-authenticate');
    await refused.body?.cancel();

    const client = new Client({ name: 'browser-like', version: '0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(
      new StreamableHTTPClientTransport(workerUrl('acme', '/mcp'), { requestInit: { headers: { ...key, origin: ACME_APP } } }),
    );
    try {
      expect((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent).toEqual({
        client: 'acme',
        subject: 'key',
        via: 'key',
      });
    } finally {
      await client.close();
    }
  });

  it('answers the CORS preflight of an allowed origin without asking for a key', async () => {
    const res = await fetch(workerUrl('acme', '/mcp'), {
      method: 'OPTIONS',
      headers: {
        origin: ACME_APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-param-region',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ACME_APP);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'mcp-protocol-version', 'mcp-method', 'mcp-param-region']),
    );

    const foreign = await fetch(workerUrl('acme', '/mcp'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    await foreign.body?.cancel();
  });

  it("allows no origin by default: another client's worker refuses acme's allowed origin", async () => {
    const res = await getJson('beta', '/mcp', initializeRequest({ origin: ACME_APP, authorization: `Bearer ${SECRETS.beta.API_KEY}` }));
    expect(res.status).toBe(403);
    // Clients that send no Origin (hosts, CLIs, servers) are what the default lets in.
    expect((await getJson('beta', '/mcp', initializeRequest({ authorization: `Bearer ${SECRETS.beta.API_KEY}` }))).status).toBe(200);
  });
});

describe.each(GENERATIONS)('MCP session, %s generation', (generation) => {
  it('lists the tools', async () => {
    await withSession('acme', SECRETS.acme.API_KEY, generation, async (client) => {
      expect(client.getServerVersion()).toMatchObject({ name: 'mcp-fleet-worker' });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['fetch_upstream', 'whoami']);
    });
  });

  it('whoami answers each client with its own id', async () => {
    for (const name of ['acme', 'beta'] as const) {
      await withSession(name, SECRETS[name].API_KEY, generation, async (client) => {
        const result = await client.callTool({ name: 'whoami', arguments: {} });
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toEqual({ client: name, subject: 'key', via: 'key' });
        expect(result.content).toEqual([{ type: 'text', text: JSON.stringify({ client: name, subject: 'key', via: 'key' }) }]);
      });
    }
  });

  it('fetch_upstream calls the upstream as the client, below its base URL', async () => {
    await withSession('acme', SECRETS.acme.API_KEY, generation, async (client) => {
      upstreamHits.length = 0;
      const result = await client.callTool({ name: 'fetch_upstream', arguments: { path: '/items?limit=2' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({
        status: 200,
        body: JSON.stringify({ ok: true, path: '/api/items?limit=2' }),
        truncated: false,
      });
      expect(upstreamHits).toEqual([{ path: '/api/items?limit=2', authorization: `Bearer ${SECRETS.acme.UPSTREAM_TOKEN}` }]);

      upstreamHits.length = 0;
      const root = await client.callTool({ name: 'fetch_upstream', arguments: {} });
      expect(root.structuredContent).toMatchObject({ status: 200 });
      expect(upstreamHits.map((h) => h.path)).toEqual(['/api/']);
    });
  });

  it('fetch_upstream keeps at most 4 KB of the body', async () => {
    await withSession('acme', SECRETS.acme.API_KEY, generation, async (client) => {
      const result = await client.callTool({ name: 'fetch_upstream', arguments: { path: '/big' } });
      expect(result.structuredContent).toEqual({ status: 200, body: 'x'.repeat(4096), truncated: true });
    });
  });

  it('fetch_upstream is an error result when no upstream is configured', async () => {
    await withSession('beta', SECRETS.beta.API_KEY, generation, async (client) => {
      const result = await client.callTool({ name: 'fetch_upstream', arguments: { path: '/' } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('UPSTREAM_URL');
      expect(JSON.stringify(result)).not.toContain(SECRETS.beta.UPSTREAM_TOKEN);
    });
  });
});

describe('analytics', () => {
  it('writes one data point per request with client, route, method, status and protocol revision', async () => {
    dataPoints.length = 0;
    await getJson('acme', '/health');
    await getJson('acme', '/mcp', initializeRequest({ authorization: 'Bearer wrong' }));
    await getJson('acme', '/mcp', initializeRequest({ authorization: `Bearer ${SECRETS.acme.API_KEY}` }, '2025-06-18'));
    await getJson('acme', '/nowhere/at/all');
    await getJson('beta', '/ready');
    // Every point has all eight blobs (blob8: the version, '' here: this config binds no version_metadata).
    const pad = (...blobs: string[]) => [...blobs, ...Array(8 - blobs.length).fill('')];
    expect(dataPoints.map((p) => ({ indexes: p.indexes, blobs: p.blobs, status: p.doubles[0] }))).toEqual([
      { indexes: ['acme'], blobs: pad('acme', '/health', 'GET'), status: 200 },
      { indexes: ['acme'], blobs: pad('acme', '/mcp', 'POST'), status: 401 },
      // A call let in names how (blob6) and a hash of who (blob7), never the subject itself.
      { indexes: ['acme'], blobs: pad('acme', '/mcp', 'POST', '2025-06-18', '', 'key', subjectHash('acme', 'key')), status: 200 },
      { indexes: ['acme'], blobs: pad('acme', 'unmatched', 'GET'), status: 404 },
      { indexes: ['beta'], blobs: pad('beta', '/ready', 'GET'), status: 200 },
    ]);
    for (const point of dataPoints) {
      expect(point.doubles).toHaveLength(4);
      expect(point.doubles[1]).toBeGreaterThanOrEqual(0);
      // None of these is a tools/call.
      expect(point.doubles.slice(2)).toEqual([0, 0]);
    }
  });

  it.each([
    ['modern', '2026-07-28'],
    ['legacy', '2025-11-25'],
  ] as const)('marks each tools/call of a %s session and whether the tool failed (double3, double4)', async (generation, _revision) => {
    dataPoints.length = 0;
    // beta has no UPSTREAM_URL: fetch_upstream answers an error the model reads (isError), with status 200.
    await withSession('beta', SECRETS.beta.API_KEY, generation, async (client) => {
      await client.callTool({ name: 'whoami', arguments: {} });
      await client.callTool({ name: 'fetch_upstream', arguments: { path: '/' } });
    });
    const calls = dataPoints.filter((p) => p.doubles[2] === 1);
    expect(calls.map((p) => ({ status: p.doubles[0], failed: p.doubles[3] }))).toEqual([
      { status: 200, failed: 0 },
      { status: 200, failed: 1 },
    ]);
    // initialize, tools/list and the like are not tool calls.
    expect(dataPoints.filter((p) => p.doubles[2] === 0 && p.doubles[3] === 1)).toEqual([]);
  });

  it.each([
    ['modern', '2026-07-28'],
    ['legacy', '2025-11-25'],
  ] as const)('records every request of a %s session under /mcp with its revision', async (generation, revision) => {
    dataPoints.length = 0;
    await withSession('beta', SECRETS.beta.API_KEY, generation, (client) => client.callTool({ name: 'whoami', arguments: {} }));
    expect(dataPoints.length).toBeGreaterThanOrEqual(2);
    for (const point of dataPoints) expect(point.blobs.slice(0, 2)).toEqual(['beta', '/mcp']);
    const served = dataPoints.filter((p) => p.blobs[2] === 'POST' && p.doubles[0] === 200);
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(new Set(served.map((p) => p.blobs[3]))).toEqual(new Set([revision]));
  });

  it('never lets a failing or local-only binding break a response', async () => {
    expect((await getJson('analytics-throws', '/health')).status).toBe(200);
    // workerd hands log lines over asynchronously, so under load the line can trail the response.
    await vi.waitFor(() => expect(workerLogs.some((line) => line.includes('analytics: data point not written'))).toBe(true), {
      timeout: 5_000,
    });
    expect((await getJson('analytics-local', '/health')).status).toBe(200);
    const who = await withSession('analytics-throws', SECRETS.acme.API_KEY, 'modern', (client) =>
      client.callTool({ name: 'whoami', arguments: {} }),
    );
    expect(who.structuredContent).toEqual({ client: 'analytics-throws', subject: 'key', via: 'key' });
  });
});

describe('routing', () => {
  it('answers unknown paths with 404 JSON naming the path', async () => {
    const res = await getJson('acme', '/admin');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', path: '/admin' });
  });

  it('answers other methods on /health with 405', async () => {
    const res = await getJson('acme', '/health', { method: 'POST' });
    expect(res.status).toBe(405);
  });
});

describe('project files', () => {
  it('scaffolds a wrangler.jsonc with an empty env object as its last key, on its own line', async () => {
    const { dir, cleanup: remove } = await tempDir('mcp-fleet-scaffold-');
    try {
      await scaffoldTemplateProject(dir, 'my-fleet', { compatibilityDate: '2026-10-01' });
      const text = await readFile(join(dir, 'wrangler.jsonc'), 'utf8');
      expect(text).toMatch(/^ {2}"env": \{\}$/m);
      expect(text).not.toMatch(/__[A-Z_]+__/);
      const errors: ParseError[] = [];
      const config = parseJsonc(text, errors) as Record<string, unknown>;
      expect(errors).toEqual([]);
      expect(config).toMatchObject({
        name: 'my-fleet',
        main: 'src/index.ts',
        compatibility_date: '2026-10-01',
        observability: { enabled: true },
        env: {},
      });
      expect(Object.keys(config).at(-1)).toBe('env');
      // Only the flag OAuth's client metadata documents need (templates/project/src/platform/oauth/).
      expect(config).toHaveProperty('compatibility_flags', ['global_fetch_strictly_public']);

      const secretsTemplate = await readFile(join(dir, '.secrets.template'), 'utf8');
      const keys = secretsTemplate.split('\n').filter((line) => /^[A-Z_]+=/.test(line));
      expect(keys).toEqual(['API_KEY=', 'UPSTREAM_TOKEN=']);
      const gitignore = await readFile(join(dir, '.gitignore'), 'utf8');
      for (const line of ['.secrets.*', '!.secrets.template', '.mcp-fleet/']) expect(gitignore.split('\n')).toContain(line);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string };
      expect(pkg.name).toBe('my-fleet');
    } finally {
      await remove();
    }
  });

  it("imports only packages that are mcp-fleet's own dependencies and the project's (init --deps link)", async () => {
    const packagesImportedBy = async (dirs: string[]): Promise<string[]> => {
      const names = new Set<string>();
      for (const dir of dirs) {
        for (const file of await readdir(join(templateDir, dir), { recursive: true })) {
          if (!/\.[jt]s$/.test(file)) continue;
          const source = await readFile(join(templateDir, dir, file), 'utf8');
          for (const match of source.matchAll(/from '([^'.][^']*)'/g)) {
            const specifier = match[1] ?? '';
            if (!specifier.startsWith('node:'))
              names.add(
                specifier
                  .split('/')
                  .slice(0, specifier.startsWith('@') ? 2 : 1)
                  .join('/'),
              );
          }
        }
      }
      return [...names].sort();
    };
    const own = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const project = JSON.parse(await readFile(join(templateDir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    // The worker's own code needs only its dependencies; its tests and scripts may use its devDependencies.
    const worker = await packagesImportedBy(['src']);
    expect(worker).toEqual(['@cloudflare/workers-oauth-provider', '@modelcontextprotocol/server', 'jose', 'zod']);
    for (const name of worker) expect(project.dependencies, name).toHaveProperty([name]);
    const tooling = await packagesImportedBy(['test', 'scripts']);
    expect(tooling).toEqual(['@modelcontextprotocol/client', 'miniflare', 'vitest']);
    for (const name of tooling) expect(project.devDependencies, name).toHaveProperty([name]);
    // Linked node_modules are mcp-fleet's: every package the project declares must be one of its own, in the same range.
    for (const [name, range] of Object.entries({ ...project.dependencies, ...project.devDependencies })) {
      expect(own.dependencies?.[name] ?? own.devDependencies?.[name], name).toBe(range);
    }
  });

  it('deploys (dry run) each client env section as `mcp-fleet add` would write it', async () => {
    const { dir, cleanup: remove } = await tempDir('mcp-fleet-envs-');
    try {
      const project = join(dir, 'project');
      await scaffoldTemplateProject(project, 'fleet-test');
      await linkNodeModules(project);
      const section = (client: string): string =>
        JSON.stringify({
          name: client,
          analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: `${client.replaceAll('-', '_')}_metrics` }],
          vars: { CLIENT_ID: client },
        });
      const configPath = join(project, 'wrangler.jsonc');
      const text = await readFile(configPath, 'utf8');
      await writeFile(configPath, text.replace('"env": {}', `"env": { "acme": ${section('acme')}, "beta-corp": ${section('beta-corp')} }`));

      const results = await Promise.all(['acme', 'beta-corp'].map((env) => bundleProject(project, join(dir, `out-${env}`), { env })));
      const [acme, beta] = results;
      expect(acme?.exitCode, acme?.output).toBe(0);
      expect(beta?.exitCode, beta?.output).toBe(0);
      expect(acme?.output).toContain('acme_metrics');
      expect(acme?.output).toContain('"acme"');
      expect(beta?.output).toContain('beta_corp_metrics');
      expect(beta?.output).not.toContain('acme');
    } finally {
      await remove();
    }
  });
});

describe('logs', () => {
  it('never contain a secret value', () => {
    const values = [...Object.values(SECRETS).flatMap((s) => Object.values(s)), 'nokey-upstream-7a1c', 'nut-key-5e6f7a'];
    for (const value of values) expect(workerLogs.join('\n')).not.toContain(value);
  });
});
