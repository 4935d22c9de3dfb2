import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execa } from 'execa';
import { type ParseError, parse as parseJsonc } from 'jsonc-parser';
import { convertV4MiniflareOptions, Miniflare, Response as MiniflareResponse } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { templateKeys } from '../src/secrets/template.js';
import { linkNodeModules, repoRoot, tempDir } from './helpers/cli.js';
import {
  ANALYTICS_HARNESS_MODULE,
  bundleProject,
  scaffoldTemplateProject,
  TEST_COMPATIBILITY_DATE,
  templateDir,
} from './helpers/template.js';

/** What the template writes per request (see templates/project/src/analytics.ts). */
interface DataPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

/** What the test upstream saw; the fetch_upstream tool must send the client's own token. */
interface UpstreamHit {
  path: string;
  authorization: string | undefined;
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

async function connect(name: string, apiKey: string): Promise<Client> {
  const client = new Client({ name: 'worker-template-test', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(workerUrl(name, '/mcp'), {
    requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
  });
  await client.connect(transport);
  return client;
}

/** A plain JSON-RPC initialize, for checks that need the raw HTTP answer rather than the SDK's view of it. */
function initializeRequest(headers: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    }),
  };
}

async function startUpstream(): Promise<string> {
  upstream = createServer((req, res) => {
    upstreamHits.push({ path: req.url ?? '', authorization: req.headers.authorization });
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
    { name: 'acme', vars: { CLIENT_ID: 'acme', UPSTREAM_URL: `${upstreamBase}/api`, ...SECRETS.acme }, analytics: 'record' },
    { name: 'beta', vars: { CLIENT_ID: 'beta', ...SECRETS.beta }, analytics: 'record' },
    { name: 'nokey', vars: { CLIENT_ID: 'nokey', UPSTREAM_TOKEN: 'nokey-upstream-7a1c' }, analytics: 'record' },
    { name: 'noupstream-token', vars: { CLIENT_ID: 'noupstream-token', API_KEY: 'nut-key-5e6f7a', UPSTREAM_TOKEN: '' } },
    { name: 'upstream-down', vars: { CLIENT_ID: 'upstream-down', UPSTREAM_URL: downBase, ...SECRETS.acme } },
    { name: 'upstream-5xx', vars: { CLIENT_ID: 'upstream-5xx', UPSTREAM_URL: `${upstreamBase}/broken`, ...SECRETS.acme } },
    { name: 'analytics-throws', vars: { CLIENT_ID: 'analytics-throws', ...SECRETS.acme }, analytics: 'throw' },
    { name: 'analytics-local', vars: { CLIENT_ID: 'analytics-local', ...SECRETS.acme }, analytics: 'miniflare' },
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
  it('answers 200 with the client id and version, without auth', async () => {
    const res = await getJson('acme', '/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok', client: 'acme', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
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

  it('answers 405 to GET: a stateless server offers no event stream', async () => {
    const res = await fetch(workerUrl('acme', '/mcp'), {
      headers: { authorization: `Bearer ${SECRETS.acme.API_KEY}`, accept: 'text/event-stream' },
    });
    expect(res.status).toBe(405);
    await res.body?.cancel();
  });
});

describe('MCP session with the SDK client', () => {
  it('lists the tools', async () => {
    const client = await connect('acme', SECRETS.acme.API_KEY);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'mcp-fleet-worker' });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['fetch_upstream', 'whoami']);
    } finally {
      await client.close();
    }
  });

  it('whoami answers each client with its own id', async () => {
    for (const name of ['acme', 'beta'] as const) {
      const client = await connect(name, SECRETS[name].API_KEY);
      try {
        const result = await client.callTool({ name: 'whoami', arguments: {} });
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toEqual({ client: name });
        expect(result.content).toEqual([{ type: 'text', text: JSON.stringify({ client: name }) }]);
      } finally {
        await client.close();
      }
    }
  });

  it('fetch_upstream calls the upstream as the client, below its base URL', async () => {
    const client = await connect('acme', SECRETS.acme.API_KEY);
    try {
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
    } finally {
      await client.close();
    }
  });

  it('fetch_upstream keeps at most 4 KB of the body', async () => {
    const client = await connect('acme', SECRETS.acme.API_KEY);
    try {
      const result = await client.callTool({ name: 'fetch_upstream', arguments: { path: '/big' } });
      expect(result.structuredContent).toEqual({ status: 200, body: 'x'.repeat(4096), truncated: true });
    } finally {
      await client.close();
    }
  });

  it('fetch_upstream is an error result when no upstream is configured', async () => {
    const client = await connect('beta', SECRETS.beta.API_KEY);
    try {
      const result = await client.callTool({ name: 'fetch_upstream', arguments: { path: '/' } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('UPSTREAM_URL');
      expect(JSON.stringify(result)).not.toContain(SECRETS.beta.UPSTREAM_TOKEN);
    } finally {
      await client.close();
    }
  });
});

describe('analytics', () => {
  it('writes one data point per request with client, route, method, status', async () => {
    dataPoints.length = 0;
    await getJson('acme', '/health');
    await getJson('acme', '/mcp', initializeRequest({ authorization: 'Bearer wrong' }));
    await getJson('acme', '/nowhere/at/all');
    await getJson('beta', '/ready');
    expect(dataPoints.map((p) => ({ indexes: p.indexes, blobs: p.blobs, status: p.doubles[0] }))).toEqual([
      { indexes: ['acme'], blobs: ['acme', '/health', 'GET'], status: 200 },
      { indexes: ['acme'], blobs: ['acme', '/mcp', 'POST'], status: 401 },
      { indexes: ['acme'], blobs: ['acme', 'unmatched', 'GET'], status: 404 },
      { indexes: ['beta'], blobs: ['beta', '/ready', 'GET'], status: 200 },
    ]);
    for (const point of dataPoints) {
      expect(point.doubles).toHaveLength(2);
      expect(point.doubles[1]).toBeGreaterThanOrEqual(0);
    }
  });

  it('records MCP requests of a session under /mcp', async () => {
    dataPoints.length = 0;
    const client = await connect('beta', SECRETS.beta.API_KEY);
    await client.callTool({ name: 'whoami', arguments: {} });
    await client.close();
    const mcpPoints = dataPoints.filter((p) => p.blobs[1] === '/mcp');
    expect(mcpPoints.length).toBe(dataPoints.length);
    expect(mcpPoints.filter((p) => p.blobs[2] === 'POST' && p.doubles[0] === 200).length).toBeGreaterThanOrEqual(2);
    expect(mcpPoints.every((p) => p.indexes[0] === 'beta')).toBe(true);
  });

  it('never lets a failing or local-only binding break a response', async () => {
    expect((await getJson('analytics-throws', '/health')).status).toBe(200);
    // workerd hands log lines over asynchronously, so under load the line can trail the response.
    await vi.waitFor(() => expect(workerLogs.some((line) => line.includes('analytics: data point not written'))).toBe(true), {
      timeout: 5_000,
    });
    expect((await getJson('analytics-local', '/health')).status).toBe(200);
    const client = await connect('analytics-throws', SECRETS.acme.API_KEY);
    try {
      expect((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent).toEqual({ client: 'analytics-throws' });
    } finally {
      await client.close();
    }
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
      expect(config).not.toHaveProperty('compatibility_flags');

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

  it('type-checks with its own tsconfig (wrangler bundles without checking)', async () => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await execa(process.execPath, [tsc, '-p', join(project, 'tsconfig.json'), '--noEmit'], { reject: false, all: true });
    expect(result.exitCode, String(result.all)).toBe(0);
  });

  it('lists in .secrets.template exactly the secrets the worker requires', async () => {
    const envSource = await readFile(join(templateDir, 'src', 'env.ts'), 'utf8');
    const declared = /REQUIRED_SECRETS = \[([^\]]*)\]/.exec(envSource)?.[1];
    const required = [...(declared ?? '').matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    const templatePath = join(templateDir, '.secrets.template');
    expect(required).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
    expect(templateKeys(await readFile(templatePath, 'utf8'), templatePath)).toEqual(required);
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
