import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Cloudflare from 'cloudflare';
import { execa } from 'execa';
import { parse as parseJsonc } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { localTarget } from '../../src/cloudflare/local-target.js';
import type { Target } from '../../src/cloudflare/target.js';
import { Faults } from '../../src/local/admin/faults.js';
import type { RequestLogEntry } from '../../src/local/admin/request-log.js';
import { type RunningEdge, startEdge, workerFromHost } from '../../src/local/edge.js';
import { edgeFilePath, readEdgeInfo } from '../../src/local/lifecycle/edge-file.js';
import type { LocalStatusJson } from '../../src/ui/json/index.js';
import { isLocalhostName, requestedByNodeFlags } from '../../src/util/localhost-resolver.js';
import { parseRate } from '../../src/util/rate.js';
import { linkNodeModules, repoRoot, runCli, tempDir } from '../helpers/cli.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * The local edge against unmodified wrangler and the unmodified cloudflare SDK, with the `init`
 * template as the worker. One edge for the file (restarted once to prove persistence).
 */

const wranglerBin = join(repoRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const ACME_KEY = 'acme-key-0123456789abcdef';
const BETA_KEY = 'beta-key-fedcba9876543210';

let project: { dir: string; cleanup: () => Promise<void> };
let home: string;
let edge: RunningEdge;
let target: Target;
let cf: Cloudflare;
const timings: Record<string, number> = {};

async function writeClients(dir: string, clients: string[]): Promise<void> {
  const path = join(dir, 'wrangler.jsonc');
  const config = parseJsonc(await readFile(path, 'utf8')) as Record<string, unknown>;
  const env: Record<string, unknown> = {};
  for (const name of clients) {
    env[name] = {
      name,
      analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: `${name}_metrics` }],
      vars: { CLIENT_ID: name },
    };
  }
  config.env = env;
  await writeFile(path, JSON.stringify(config, null, 2));
}

async function wrangler(args: string[], options: { input?: string; token?: string } = {}) {
  const env = target.childEnv();
  const result = await execa(process.execPath, [wranglerBin, ...args], {
    cwd: project.dir,
    env: {
      ...env,
      ...(options.token ? { CLOUDFLARE_API_TOKEN: options.token } : {}),
      CI: '1',
      NO_COLOR: '1',
      WRANGLER_SEND_METRICS: 'false',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
    },
    input: options.input ?? '',
    all: true,
    reject: false,
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, output: String(result.all) };
}

async function admin<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${edge.info.adminUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${edge.info.token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const body = (await response.json()) as { success: boolean; result: T };
  expect(body.success).toBe(true);
  return body.result;
}

async function worker(name: string, path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${await target.workerUrl(name)}${path}`, init);
}

async function workerJson(name: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await worker(name, path);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function useEdge(running: RunningEdge): Promise<void> {
  edge = running;
  target = await localTarget(project.dir);
  cf = new Cloudflare({ apiToken: target.token, baseURL: target.apiBaseUrl, maxRetries: 2 });
}

beforeAll(async () => {
  project = await tempDir('mcp-fleet-edge-');
  home = join(project.dir, '.home');
  await mkdir(home, { recursive: true });
  await scaffoldTemplateProject(project.dir, 'fleet');
  await linkNodeModules(project.dir);
  await writeClients(project.dir, ['acme', 'beta']);
  const started = performance.now();
  const running = await startEdge({ projectDir: project.dir, port: 0 });
  timings.edgeStartMs = Math.round(performance.now() - started);
  await useEdge(running);
});

afterAll(async () => {
  await edge?.stop();
  console.log(`local edge figures: ${JSON.stringify(timings)}`);
  await project?.cleanup();
});

describe('local edge with wrangler and the cloudflare SDK', () => {
  test('edge.json holds the connection details, mode 0600, in a 0700 directory', async () => {
    const info = await readEdgeInfo(project.dir);
    expect(info).toMatchObject({ accountId: edge.info.accountId, token: edge.info.token, pid: process.pid, port: edge.info.port });
    expect(info.workerUrlTemplate).toBe(`http://{name}.localhost:${edge.info.port}`);
    expect((await stat(edgeFilePath(project.dir))).mode & 0o777).toBe(0o600);
    expect((await stat(join(project.dir, '.mcp-fleet', 'local'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(project.dir, '.mcp-fleet', 'local', 'state'))).mode & 0o777).toBe(0o700);
    expect(target.kind).toBe('local');
    expect(await target.workerUrl('acme')).toBe(`http://acme.localhost:${edge.info.port}`);
  });

  test('wrangler deploy --env acme creates the worker; /health answers for acme', async () => {
    const started = performance.now();
    const result = await wrangler(['deploy', '--env', 'acme']);
    timings.firstDeployMs = Math.round(performance.now() - started);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/Current Version ID: [0-9a-f-]+/);
    const upload = (await admin<RequestLogEntry[]>('/requests?script=acme')).find(
      (e) => e.route === 'PUT /accounts/:account/workers/scripts/:script',
    );
    timings.firstUploadApiMs = upload?.ms ?? -1;
    // Node's global fetch reaches http://acme.localhost:<port> (localTarget installed the resolver).
    const health = await workerJson('acme', '/health');
    expect(health).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok', client: 'acme' }) });
  });

  test('a second wrangler deploy of the existing worker goes through versions and deployments', async () => {
    await admin('/requests', { method: 'DELETE' });
    const started = performance.now();
    const result = await wrangler(['deploy', '--env', 'acme']);
    timings.secondDeployMs = Math.round(performance.now() - started);
    expect(result.exitCode, result.output).toBe(0);
    const log = await admin<RequestLogEntry[]>('/requests');
    const routes = log.map((e) => `${e.status} ${e.route}`);
    expect(routes).toContain('200 POST /accounts/:account/workers/scripts/:script/versions');
    expect(routes).toContain('200 POST /accounts/:account/workers/scripts/:script/deployments');
    expect(
      log.every((e) => e.route !== null),
      'every call wrangler made has a route',
    ).toBe(true);
    expect((await workerJson('acme', '/health')).body.client).toBe('acme');
  });

  test('wrangler run with `local env` exported sends nothing to Cloudflare: usage metrics and error reports off', async () => {
    const env = await runCli(['--cwd', project.dir, 'local', 'env']);
    expect(env.exitCode, env.stderr).toBe(0);
    const exportLine = env.stdout.split('\n').find((line) => line.startsWith('export ')) ?? '';
    expect(exportLine).toContain(' WRANGLER_SEND_METRICS=false');
    expect(exportLine).toContain(' WRANGLER_SEND_ERROR_REPORTS=false');
    // The README's `eval "$(mcp-fleet local env)"; npx wrangler deploy --env acme`, in an environment
    // that holds nothing else: only the export line keeps this wrangler from phoning home.
    const result = await execa('bash', ['-c', `${exportLine}; exec "$0" "$1" deploy --env acme`, process.execPath, wranglerBin], {
      cwd: project.dir,
      extendEnv: false,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        CI: '1',
        NO_COLOR: '1',
        WRANGLER_LOG: 'debug',
      },
      all: true,
      reject: false,
      timeout: 120_000,
    });
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(String(result.all)).toMatch(/Metrics dispatcher: Dispatching disabled/);
    expect(String(result.all)).not.toMatch(/Metrics dispatcher: Posting data/);
  });

  test('wrangler secret put changes what /ready reports, without a redeploy', async () => {
    expect(await workerJson('acme', '/ready')).toEqual({
      status: 503,
      body: expect.objectContaining({ missing: ['API_KEY', 'UPSTREAM_TOKEN'] }),
    });
    const put = await wrangler(['secret', 'put', 'API_KEY', '--env', 'acme'], { input: `${ACME_KEY}\n` });
    expect(put.exitCode, put.output).toBe(0);
    expect(await workerJson('acme', '/ready')).toEqual({ status: 503, body: expect.objectContaining({ missing: ['UPSTREAM_TOKEN'] }) });

    const bulkFile = join(project.dir, '.bulk.json');
    await writeFile(bulkFile, JSON.stringify({ UPSTREAM_TOKEN: 'acme-upstream', EXTRA: 'x' }), { mode: 0o600 });
    const bulk = await wrangler(['secret', 'bulk', bulkFile, '--env', 'acme']);
    expect(bulk.exitCode, bulk.output).toBe(0);
    expect(await workerJson('acme', '/ready')).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', client: 'acme' }) });

    const list = await wrangler(['secret', 'list', '--env', 'acme']);
    expect(list.exitCode, list.output).toBe(0);
    expect(list.output).toContain('"UPSTREAM_TOKEN"');
    expect(list.output).not.toContain(ACME_KEY);

    const del = await wrangler(['secret', 'delete', 'EXTRA', '--env', 'acme'], { input: 'y\n' });
    expect(del.exitCode, del.output).toBe(0);
    const deployments = await wrangler(['deployments', 'list', '--env', 'acme']);
    expect(deployments.exitCode, deployments.output).toBe(0);
    expect(deployments.output).toContain('Secret Change');
  });

  test('the cloudflare SDK with baseURL lists secret names (never values)', async () => {
    const names: string[] = [];
    for await (const secret of cf.workers.scripts.secrets.list('acme', { account_id: target.accountId })) {
      names.push(secret.name);
      expect(JSON.stringify(secret)).not.toContain(ACME_KEY);
    }
    expect(names.sort()).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
    const subdomain = await cf.workers.subdomains.get({ account_id: target.accountId });
    expect(subdomain.subdomain).toBe('local');
  });

  test('the SDK puts, bulk-updates and deletes secrets; the worker sees each change', async () => {
    await cf.workers.scripts.secrets.update('acme', { account_id: target.accountId, name: 'TEMP', text: 'temporary', type: 'secret_text' });
    await cf.workers.scripts.secrets.bulkUpdate(
      'acme',
      { account_id: target.accountId, secrets: { TEMP: null, TEMP2: { name: 'TEMP2', text: 'two', type: 'secret_text' } } } as never,
      { headers: { 'Content-Type': 'application/merge-patch+json' } },
    );
    await cf.workers.scripts.secrets.delete('TEMP2', { account_id: target.accountId, script_name: 'acme', url_encoded: true });
    const names: string[] = [];
    for await (const secret of cf.workers.scripts.secrets.list('acme', { account_id: target.accountId })) names.push(secret.name);
    expect(names.sort()).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
    await expect(cf.workers.scripts.secrets.list('nope', { account_id: target.accountId })).rejects.toMatchObject({
      status: 404,
      errors: [expect.objectContaining({ code: 10007 })],
    });
  });

  test('a wrong or missing token is refused with 10000 and changes nothing', async () => {
    const bad = new Cloudflare({ apiToken: 'not-the-token', baseURL: target.apiBaseUrl, maxRetries: 0 });
    await expect(
      bad.workers.scripts.secrets.update('acme', { account_id: target.accountId, name: 'API_KEY', text: 'stolen', type: 'secret_text' }),
    ).rejects.toMatchObject({ status: 403, errors: [expect.objectContaining({ code: 10000 })] });
    const missing = await fetch(`${target.apiBaseUrl}/accounts/${target.accountId}/workers/scripts/acme`, { method: 'DELETE' });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ success: false, errors: [{ code: 10000, message: 'Authentication error' }] });
    const otherAccount = new Cloudflare({ apiToken: target.token, baseURL: target.apiBaseUrl, maxRetries: 0 });
    await expect(otherAccount.workers.subdomains.get({ account_id: 'ffffffffffffffffffffffffffffffff' })).rejects.toMatchObject({
      status: 403,
    });
    const viaWrangler = await wrangler(['secret', 'put', 'API_KEY', '--env', 'acme'], { input: 'stolen\n', token: 'wrong' });
    expect(viaWrangler.exitCode).not.toBe(0);
    expect(viaWrangler.output).toContain('Authentication error [code: 10000]');
    // Nothing changed: the worker still runs with its own key.
    expect((await worker('acme', '/mcp', { method: 'POST', headers: { authorization: 'Bearer stolen' } })).status).toBe(401);
    expect((await workerJson('acme', '/ready')).status).toBe(200);
  });

  test('an unknown route answers a Cloudflare-style error naming it', async () => {
    const response = await fetch(`${target.apiBaseUrl}/accounts/${target.accountId}/workers/nothing-here`, {
      headers: { authorization: `Bearer ${target.token}` },
    });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { success: boolean; errors: Array<{ code: number; message: string }> };
    expect(body.success).toBe(false);
    expect(body.errors[0]?.message).toContain(`GET /accounts/${target.accountId}/workers/nothing-here`);
    const unknownWorker = await worker('nobody', '/health');
    expect(unknownWorker.status).toBe(404);
    expect(JSON.stringify(await unknownWorker.json())).toContain('nobody');
  });

  test('injected 5xx are seen by the SDK and retried', async () => {
    await admin('/requests', { method: 'DELETE' });
    await admin('/faults', { method: 'PUT', body: JSON.stringify({ failNext: 2 }) });
    const page = await cf.workers.scripts.secrets.list('acme', { account_id: target.accountId });
    expect(page.result.map((s) => s.name).sort()).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
    const statuses = (await admin<RequestLogEntry[]>('/requests')).map((e) => `${e.status}${e.fault ? ` ${e.fault}` : ''}`);
    expect(statuses).toEqual(['503 error', '503 error', '200']);

    await admin('/faults', { method: 'PUT', body: JSON.stringify({ errorRate: 1 }) });
    await expect(cf.workers.subdomains.get({ account_id: target.accountId })).rejects.toMatchObject({ status: 500 });
    await admin('/faults', { method: 'PUT', body: JSON.stringify({ errorRate: 0 }) });
  });

  test('the throttle answers 429 with Retry-After; the SDK waits and retries', async () => {
    await admin('/requests', { method: 'DELETE' });
    await admin('/faults', { method: 'PUT', body: JSON.stringify({ throttle: { limit: 1, windowSeconds: 1 } }) });
    const raw = await fetch(`${target.apiBaseUrl}/accounts/${target.accountId}/workers/subdomain`, {
      headers: { authorization: `Bearer ${target.token}` },
    });
    expect(raw.status).toBe(200);
    const limited = await fetch(`${target.apiBaseUrl}/accounts/${target.accountId}/workers/subdomain`, {
      headers: { authorization: `Bearer ${target.token}` },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ success: false, errors: [{ code: 971 }] });
    const started = performance.now();
    const subdomain = await cf.workers.subdomains.get({ account_id: target.accountId });
    expect(subdomain.subdomain).toBe('local');
    expect(performance.now() - started).toBeGreaterThan(300);
    const log = await admin<RequestLogEntry[]>('/requests');
    expect(log.filter((e) => e.status === 429 && e.fault === 'rate-limited').length).toBeGreaterThanOrEqual(2);
    expect(log.at(-1)?.status).toBe(200);

    await admin('/faults', { method: 'PUT', body: JSON.stringify({ throttle: null, latencyMs: 150 }) });
    const slowStart = performance.now();
    await cf.workers.subdomains.get({ account_id: target.accountId });
    expect(performance.now() - slowStart).toBeGreaterThanOrEqual(140);
    const faults = await admin<{ latencyMs: number; errorRate: number; throttle: unknown }>('/faults', {
      method: 'PUT',
      body: JSON.stringify({ latencyMs: 0 }),
    });
    expect(faults).toMatchObject({ latencyMs: 0, errorRate: 0, throttle: null });
  });

  test('two workers from the same code answer with their own vars and secrets', async () => {
    const secretsFile = join(project.dir, '.secrets.beta.json');
    await writeFile(secretsFile, JSON.stringify({ API_KEY: BETA_KEY, UPSTREAM_TOKEN: 'beta-upstream' }), { mode: 0o600 });
    const deploy = await wrangler(['deploy', '--env', 'beta', '--secrets-file', secretsFile]);
    expect(deploy.exitCode, deploy.output).toBe(0);
    expect(deploy.output).not.toContain(BETA_KEY);
    // Code and secrets land in one version: ready on the first request.
    expect(await workerJson('beta', '/ready')).toEqual({ status: 200, body: expect.objectContaining({ client: 'beta' }) });
    expect((await workerJson('acme', '/health')).body.client).toBe('acme');
    expect((await workerJson('beta', '/health')).body.client).toBe('beta');
    // Each worker takes only its own key.
    const mcp = (name: string, key: string) =>
      worker(name, '/mcp', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await mcp('beta', ACME_KEY)).status).toBe(401);
    expect((await mcp('acme', BETA_KEY)).status).toBe(401);
    expect((await mcp('acme', ACME_KEY)).status).not.toBe(401);
    expect((await mcp('beta', BETA_KEY)).status).not.toBe(401);
  });

  test('an MCP client (Node, streamable HTTP) talks to a worker through its *.localhost URL', async () => {
    const client = new Client({ name: 'edge-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${await target.workerUrl('beta')}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${BETA_KEY}` } },
    });
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.length).toBeGreaterThan(0);
    await client.close();
  });

  test('Analytics Engine data points are kept per worker and listed', async () => {
    await admin('/analytics', { method: 'DELETE' });
    await worker('acme', '/health');
    await worker('beta', '/health');
    // A worker posts its points under waitUntil, after its response: they arrive shortly after, as on Analytics Engine.
    await expect
      .poll(async () => (await admin<Array<{ script: string }>>('/analytics')).map((p) => p.script).sort(), { timeout: 5000 })
      .toEqual(['acme', 'beta']);
    const acme = await admin<Array<{ script: string; dataset: string; indexes: string[]; blobs: string[] }>>('/analytics?script=acme');
    expect(acme).toEqual([expect.objectContaining({ script: 'acme', dataset: 'acme_metrics', indexes: ['acme'] })]);
    // The template's eight blobs: client, route, method, …, and last the version that answered.
    expect(acme[0]?.blobs.slice(0, 3)).toEqual(['acme', '/health', 'GET']);
    expect(acme[0]?.blobs).toHaveLength(8);
  });

  test('the path prefix reaches a worker for clients that cannot resolve *.localhost', async () => {
    const response = await fetch(`http://127.0.0.1:${edge.info.port}/__workers/beta/health`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { client: string }).client).toBe('beta');
  });

  test('an API upload (FormData through the SDK) runs with its bindings, and SSE streams through the edge', async () => {
    const code = new Uint8Array(await readFile(join(repoRoot, 'test', 'fixtures', 'edge-echo', 'worker.mjs')));
    const upload = (source: Uint8Array<ArrayBuffer> | string, bindings: unknown[]) => {
      const form = new FormData();
      form.set('metadata', JSON.stringify({ main_module: 'worker.mjs', compatibility_date: '2026-11-01', bindings }));
      form.set('worker.mjs', new File([source], 'worker.mjs', { type: 'application/javascript+module' }));
      return cf.put(`/accounts/${target.accountId}/workers/scripts/echo`, { body: form });
    };
    const bindings = [
      { type: 'plain_text', name: 'NAME', text: 'echo' },
      { type: 'secret_text', name: 'SECRET', text: 'hidden' },
      { type: 'json', name: 'SETTINGS', json: { retries: 3 } },
      { type: 'analytics_engine', name: 'ANALYTICS', dataset: 'echo_metrics' },
    ];
    const result = (await upload(code, bindings)) as { result: { id: string; deployment_id: string } };
    expect(result.result).toMatchObject({ id: 'echo', deployment_id: expect.any(String) });
    expect(await workerJson('echo', '/')).toEqual({
      status: 200,
      body: { url: `http://echo.localhost:${edge.info.port}/`, name: 'echo', hasSecret: true, settings: { retries: 3 } },
    });

    const response = await worker('echo', '/stream');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const started = performance.now();
    const arrivals: number[] = [];
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      arrivals.push(performance.now() - started);
    }
    expect(arrivals.length).toBeGreaterThanOrEqual(2);
    // Streamed, not buffered: the first event arrives well before the stream ends.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(500);

    // Code that fails to start is refused with 10021; the running version keeps serving.
    await expect(upload('export default { fetch( }', bindings)).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ code: 10021 })],
    });
    await expect(upload(code, [{ type: 'r2_bucket', name: 'BUCKET', bucket_name: 'x' }])).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ code: 10021, message: expect.stringContaining('r2_bucket') })],
    });
    // A KV namespace the account does not have is refused as Cloudflare refuses it.
    await expect(upload(code, [{ type: 'kv_namespace', name: 'KV', namespace_id: 'x' }])).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ code: 10042 })],
    });
    // A rate limit counts over 10 or 60 seconds, nothing else.
    const rateLimit = (period: number) => [{ type: 'ratelimit', name: 'RL', namespace_id: '1001', simple: { limit: 5, period } }];
    await expect(upload(code, rateLimit(30))).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ message: expect.stringContaining('must be 10 or 60') })],
    });
    expect((await workerJson('echo', '/')).body.name).toBe('echo');
    const versions = await cf.workers.scripts.versions.list('echo', { account_id: target.accountId });
    expect(versions.result.items?.length).toBe(1);

    await cf.workers.scripts.delete('echo', { account_id: target.accountId });
    expect((await worker('echo', '/')).status).toBe(404);
  });

  test('wrangler secret put on a missing worker creates a draft (as Cloudflare does); a deleted worker stops answering', async () => {
    const put = await wrangler(['secret', 'put', 'ONLY', '--name', 'stray'], { input: 'value\n' });
    expect(put.exitCode, put.output).toBe(0);
    const workers = await admin<Array<{ name: string; secrets: string[] }>>('/workers');
    expect(workers.find((w) => w.name === 'stray')?.secrets).toEqual(['ONLY']);
    await cf.workers.scripts.delete('stray', { account_id: target.accountId, force: true });
    expect((await worker('stray', '/')).status).toBe(404);
    const names = (await admin<Array<{ name: string }>>('/workers')).map((w) => w.name);
    expect(names).toEqual(['acme', 'beta']);
  });

  test('state survives a restart: same account and token, workers answer with their secrets', async () => {
    const before = { accountId: edge.info.accountId, token: edge.info.token };
    await edge.stop();
    const started = performance.now();
    const running = await startEdge({ projectDir: project.dir, port: 0 });
    timings.restartWithTwoWorkersMs = Math.round(performance.now() - started);
    await useEdge(running);
    expect({ accountId: edge.info.accountId, token: edge.info.token }).toEqual(before);
    expect(await workerJson('acme', '/ready')).toEqual({ status: 200, body: expect.objectContaining({ client: 'acme' }) });
    expect(await workerJson('beta', '/ready')).toEqual({ status: 200, body: expect.objectContaining({ client: 'beta' }) });
    const redeploy = await wrangler(['deploy', '--env', 'acme']);
    expect(redeploy.exitCode, redeploy.output).toBe(0);
    // keep_bindings carried the secrets over the redeploy.
    expect((await workerJson('acme', '/ready')).status).toBe(200);
    const secretsFile = join(project.dir, '.mcp-fleet', 'local', 'state', 'scripts', 'acme', 'secrets.json');
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
  });
});

describe('localhost resolver', () => {
  test('names and flags', () => {
    expect(isLocalhostName('acme.localhost')).toBe(true);
    expect(isLocalhostName('LOCALHOST')).toBe(true);
    expect(isLocalhostName('localhost.example.com')).toBe(false);
    expect(requestedByNodeFlags(['--import', '/x/dist/localhost-resolver.js'], undefined)).toBe(true);
    expect(requestedByNodeFlags([], '--import=/x/dist/localhost-resolver.js')).toBe(true);
    expect(requestedByNodeFlags(['--import', 'tsx'], '')).toBe(false);
  });

  test('node --import dist/localhost-resolver.js lets any Node program fetch a worker', async () => {
    const url = `${await target.workerUrl('acme')}/health`;
    const result = await execa(
      process.execPath,
      [
        '--import',
        join(repoRoot, 'dist', 'localhost-resolver.js'),
        '-e',
        `fetch(${JSON.stringify(url)}).then(r => r.json()).then(b => console.log(b.client))`,
      ],
      { reject: false },
    );
    expect(result.stdout.trim(), result.stderr).toBe('acme');
  });
});

describe('edge helpers', () => {
  test('worker names from Host', () => {
    expect(workerFromHost('acme.localhost:8787')).toBe('acme');
    expect(workerFromHost('a-b.localhost')).toBe('a-b');
    expect(workerFromHost('127.0.0.1:8787')).toBeUndefined();
    expect(workerFromHost('localhost:8787')).toBeUndefined();
    expect(workerFromHost('x.y.localhost')).toBeUndefined();
  });

  test('throttle parsing and windows', () => {
    expect(parseRate('100/60')).toEqual({ requests: 100, seconds: 60 });
    expect(parseRate('abc')).toBeUndefined();
    expect(parseRate('0/60')).toBeUndefined();
    expect(parseRate('5/0')).toBeUndefined();
    let now = 0;
    const faults = new Faults({ throttle: { limit: 2, windowSeconds: 10 } }, () => now);
    expect(faults.decide().kind).toBe('pass');
    expect(faults.decide().kind).toBe('pass');
    expect(faults.decide()).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 10 });
    now = 9_500;
    expect(faults.decide()).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 1 });
    now = 10_000;
    expect(faults.decide().kind).toBe('pass');
  });
});

describe('mcp-fleet local (the built binary)', () => {
  let cliProject: { dir: string; cleanup: () => Promise<void> };
  let busy: Server | undefined;

  beforeAll(async () => {
    cliProject = await tempDir('mcp-fleet-edge-cli-');
  });
  afterAll(async () => {
    await runCli(['--cwd', cliProject.dir, 'local', 'stop']);
    busy?.close();
    await cliProject.cleanup();
  });

  test('start --detach, status --json, env, stop', async () => {
    const started = performance.now();
    const start = await runCli(['--cwd', cliProject.dir, 'local', 'start', '--detach', '--port', '0', '--latency-ms', '5']);
    timings.cliDetachedStartMs = Math.round(performance.now() - started);
    expect(start.exitCode, start.stderr).toBe(0);
    const info = await readEdgeInfo(cliProject.dir);
    expect(start.stdout).not.toContain(info.token);

    const status = await runCli(['--cwd', cliProject.dir, '--json', 'local', 'status']);
    expect(status.exitCode, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as LocalStatusJson;
    expect(parsed).toMatchObject({ running: true, pid: info.pid, apiBaseUrl: info.apiBaseUrl, workers: [] });
    expect(status.stdout).not.toContain(info.token);

    const faults = await fetch(`${info.adminUrl}/faults`, { headers: { authorization: `Bearer ${info.token}` } });
    expect(((await faults.json()) as { result: { latencyMs: number } }).result.latencyMs).toBe(5);

    const env = await runCli(['--cwd', cliProject.dir, 'local', 'env']);
    expect(env.exitCode).toBe(0);
    const exportLine = env.stdout.split('\n').find((line) => line.startsWith('export '));
    expect(exportLine).toBe(
      `export CLOUDFLARE_API_BASE_URL=${info.apiBaseUrl} CLOUDFLARE_BASE_URL=${info.apiBaseUrl} CLOUDFLARE_API_TOKEN=${info.token} CLOUDFLARE_ACCOUNT_ID=${info.accountId} WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false`,
    );
    const shell = await execa('bash', ['-c', `${exportLine}; echo "$CLOUDFLARE_ACCOUNT_ID"`]);
    expect(shell.stdout.trim()).toBe(info.accountId);

    const stop = await runCli(['--cwd', cliProject.dir, 'local', 'stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`stopped (pid ${info.pid})`);
    await expect(stat(edgeFilePath(cliProject.dir))).rejects.toThrow();
    const log = await readFile(join(cliProject.dir, '.mcp-fleet', 'local', 'edge.log'), 'utf8');
    expect(log).toContain('local edge ready');
    expect(log).not.toContain(info.token);
    const after = await runCli(['--cwd', cliProject.dir, '--json', 'local', 'status']);
    expect(JSON.parse(after.stdout) as LocalStatusJson).toMatchObject({ running: false });
    const again = await runCli(['--cwd', cliProject.dir, 'local', 'stop']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('not running');
  });

  test('a second start says "already running" first and only (with --detach too), naming the edge and how to stop it', async () => {
    const start = await runCli(['--cwd', cliProject.dir, 'local', 'start', '--detach', '--port', '0']);
    expect(start.exitCode, start.stderr).toBe(0);
    const info = await readEdgeInfo(cliProject.dir);
    try {
      for (const args of [['--detach'], [], ['--detach', '--port', '0']]) {
        const again = await runCli(['--cwd', cliProject.dir, 'local', 'start', ...args]);
        expect(again.exitCode, args.join(' ')).toBe(2);
        expect(again.stdout, args.join(' ')).toBe('');
        const lines = again.stderr.trimEnd().split('\n');
        expect(lines[0], args.join(' ')).toBe(`✖ a local edge is already running for this project (pid ${info.pid}, ${info.apiBaseUrl})`);
        expect(lines.slice(1), args.join(' ')).toEqual([
          expect.stringMatching(/^ {2}Stop it first: .*mcp-fleet(\.js)? -C \S+ local stop$/),
        ]);
      }
      // The running edge is untouched.
      expect((await readEdgeInfo(cliProject.dir)).pid).toBe(info.pid);
    } finally {
      await runCli(['--cwd', cliProject.dir, 'local', 'stop']);
    }
  });

  test('an edge killed with SIGKILL: stop removes edge.json and the workerd it left running', async () => {
    const start = await runCli(['--cwd', cliProject.dir, 'local', 'start', '--detach', '--port', '0']);
    expect(start.exitCode, start.stderr).toBe(0);
    const info = await readEdgeInfo(cliProject.dir);
    // One worker, so that a workerd process runs under the edge.
    const form = new FormData();
    form.set('metadata', JSON.stringify({ main_module: 'worker.mjs', compatibility_date: '2026-11-01', bindings: [] }));
    const code = await readFile(join(repoRoot, 'test', 'fixtures', 'edge-echo', 'worker.mjs'));
    form.set('worker.mjs', new File([new Uint8Array(code)], 'worker.mjs', { type: 'application/javascript+module' }));
    const upload = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}/workers/scripts/echo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${info.token}` },
      body: form,
    });
    expect(upload.status).toBe(200);
    const workerdInGroup = async (): Promise<number[]> => {
      const ps = await execa('ps', ['-o', 'pid=,comm=', '-g', String(info.pid)], { reject: false });
      return ps.stdout
        .split('\n')
        .filter((line) => /\bworkerd$/.test(line.trim()))
        .map((line) => Number.parseInt(line, 10));
    };
    expect((await workerdInGroup()).length).toBeGreaterThan(0);

    process.kill(info.pid, 'SIGKILL');
    const stop = await runCli(['--cwd', cliProject.dir, 'local', 'stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    // Its workerd die with it (see docs/hardening.md: a killed edge leaves no child), or, where they cannot, stop stops them.
    expect(stop.stdout).toMatch(/removed a stale edge\.json(, stopped \d+ orphaned workerd)?/);
    await expect(stat(edgeFilePath(cliProject.dir))).rejects.toThrow();
    await vi.waitFor(async () => expect(await workerdInGroup()).toEqual([]), { timeout: 10_000 });
  });

  test('bad flag values and a busy port exit 2 naming the flag', async () => {
    const rate = await runCli(['--cwd', cliProject.dir, 'local', 'start', '--error-rate', '2']);
    expect(rate.exitCode).toBe(2);
    expect(rate.stderr).toContain('--error-rate');
    const limit = await runCli(['--cwd', cliProject.dir, 'local', 'start', '--throttle', 'abc']);
    expect(limit.exitCode).toBe(2);
    expect(limit.stderr).toContain('--throttle');
    const server = createServer();
    busy = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const inUse = await runCli(['--cwd', cliProject.dir, 'local', 'start', '--port', String(port)]);
    expect(inUse.exitCode).toBe(2);
    expect(inUse.stderr).toContain('--port');
    const env = await runCli(['--cwd', cliProject.dir, 'local', 'env']);
    expect(env.exitCode).toBe(2);
  });
});
