import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Cloudflare, { APIError } from 'cloudflare';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKvApi, type KvApi } from '../../src/cloudflare/kv.js';
import { localTarget } from '../../src/cloudflare/local-target.js';
import type { RequestLogEntry } from '../../src/local/admin/request-log.js';
import { type RunningEdge, startEdge } from '../../src/local/edge.js';
import { repoRoot, tempDir } from '../helpers/cli.js';

/**
 * Workers KV on the local edge: the unmodified `cloudflare` SDK and mcp-fleet's KvApi against a real
 * edge, a deployed worker whose `kv_namespace` binding sees the same data as the API, and the data
 * surviving an edge restart. One edge for the file (restarted once).
 */

let project: { dir: string; cleanup: () => Promise<void> };
let edge: RunningEdge;
let cf: Cloudflare;
let kv: KvApi;
let accountId: string;
let code: Uint8Array;

async function useEdge(running: RunningEdge): Promise<void> {
  edge = running;
  const target = await localTarget(project.dir);
  accountId = target.accountId;
  cf = new Cloudflare({ apiToken: target.token, baseURL: target.apiBaseUrl, maxRetries: 0 });
  kv = createKvApi(target);
}

beforeAll(async () => {
  project = await tempDir('mcp-fleet-kv-');
  code = new Uint8Array(await readFile(join(repoRoot, 'test', 'fixtures', 'edge-kv', 'worker.mjs')));
  await useEdge(await startEdge({ projectDir: project.dir, port: 0 }));
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  await project?.cleanup();
});

async function kvLog(): Promise<RequestLogEntry[]> {
  const response = await fetch(`${edge.info.adminUrl}/requests`, { headers: { authorization: `Bearer ${edge.info.token}` } });
  const all = ((await response.json()) as { result: RequestLogEntry[] }).result;
  return all.filter((entry) => entry.path.includes('/storage/kv/'));
}

async function clearLog(): Promise<void> {
  await fetch(`${edge.info.adminUrl}/requests`, { method: 'DELETE', headers: { authorization: `Bearer ${edge.info.token}` } });
}

/** A raw API call, for what the SDK hides (raw bodies, status codes). */
async function raw(method: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${edge.info.apiBaseUrl}/accounts/${accountId}/storage/kv${path}`, {
    ...init,
    method,
    headers: { authorization: `Bearer ${edge.info.token}`, ...(init.headers ?? {}) },
  });
}

async function codesOf(response: Response): Promise<number[]> {
  const body = (await response.json()) as { success: boolean; errors: { code: number }[] };
  expect(body.success).toBe(false);
  return body.errors.map((error) => error.code);
}

async function sdkError(call: Promise<unknown>): Promise<APIError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

function upload(bindings: unknown[]): FormData {
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'worker.mjs', compatibility_date: '2026-11-01', bindings }));
  form.set('worker.mjs', new File([new Uint8Array(code)], 'worker.mjs', { type: 'application/javascript+module' }));
  return form;
}

async function putScript(name: string, bindings: unknown[]): Promise<{ status: number; codes: number[] }> {
  const response = await fetch(`${edge.info.apiBaseUrl}/accounts/${accountId}/workers/scripts/${name}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${edge.info.token}` },
    body: upload(bindings),
  });
  const body = (await response.json()) as { errors: { code: number }[] };
  return { status: response.status, codes: body.errors.map((error) => error.code) };
}

function workerFetch(name: string, path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${edge.info.apiBaseUrl.replace(/\/client\/v4$/, '')}/__workers/${name}${path}`, init);
}

describe('namespaces', () => {
  test('create, get, rename, list with page and per_page, delete; the SDK reads every answer', async () => {
    const created = await cf.kv.namespaces.create({ account_id: accountId, title: 'acme-oauth' });
    expect(created).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), title: 'acme-oauth', supports_url_encoding: true });
    expect(await cf.kv.namespaces.get(created.id, { account_id: accountId })).toMatchObject({ title: 'acme-oauth' });
    const renamed = await cf.kv.namespaces.update(created.id, { account_id: accountId, title: 'acme-grants' });
    expect(renamed).toMatchObject({ id: created.id, title: 'acme-grants' });

    for (const title of ['ns-a', 'ns-b', 'ns-c', 'ns-d']) await cf.kv.namespaces.create({ account_id: accountId, title });
    const first = await cf.kv.namespaces.list({ account_id: accountId, page: 1, per_page: 2 });
    expect(first.getPaginatedItems().map((ns) => ns.title)).toEqual(['acme-grants', 'ns-a']);
    expect(first.result_info).toMatchObject({ page: 1, per_page: 2, count: 2, total_count: 5 });
    const titles: string[] = [];
    for await (const ns of cf.kv.namespaces.list({ account_id: accountId, per_page: 2 })) titles.push(ns.title);
    expect(titles).toEqual(['acme-grants', 'ns-a', 'ns-b', 'ns-c', 'ns-d']);

    await cf.kv.namespaces.delete(created.id, { account_id: accountId });
    const gone = await sdkError(cf.kv.namespaces.get(created.id, { account_id: accountId }));
    expect(gone.status).toBe(404);
    expect(gone.errors.map((error) => error.code)).toEqual([10013]);
  });

  test("a namespace body and a bulk entry take only the fields of Cloudflare's schema (400, 10001, naming the field)", async () => {
    const json = { 'content-type': 'application/json' };
    const create = await raw('POST', '/namespaces', { headers: json, body: JSON.stringify({ title: 'extra', binding: 'X' }) });
    expect(create.status).toBe(400);
    const body = (await create.json()) as { errors: { code: number; message: string }[] };
    expect(body.errors[0]).toMatchObject({ code: 10001, message: expect.stringContaining('"binding"') });
    expect(await kv.findNamespace('extra')).toBeUndefined();

    const ns = await kv.ensureNamespace('schema');
    const bulk = await raw('PUT', `/namespaces/${ns.id}/bulk`, {
      headers: json,
      body: JSON.stringify([{ key: 'a', value: 'b', ttl: 60 }]),
    });
    expect(bulk.status).toBe(400);
    expect(await codesOf(bulk)).toEqual([10001]);
    expect(await kv.listKeys(ns.id)).toEqual([]);
  });

  test('a second namespace with the same title is refused with 10014', async () => {
    await cf.kv.namespaces.create({ account_id: accountId, title: 'dup' });
    const refused = await sdkError(cf.kv.namespaces.create({ account_id: accountId, title: 'dup' }));
    expect(refused.status).toBe(400);
    expect(refused.errors[0]).toMatchObject({ code: 10014, message: expect.stringMatching(/title already exists/) });
  });

  test('ensureNamespace converges: the second run returns the same namespace, in two calls', async () => {
    const first = await kv.ensureNamespace('beta-oauth');
    await clearLog();
    const again = await kv.ensureNamespace('beta-oauth');
    expect(again).toEqual(first);
    expect((await kvLog()).map((entry) => `${entry.method} ${entry.status}`)).toEqual(['POST 400', 'GET 200']);
    expect(await kv.findNamespace('beta-oauth')).toEqual(first);
    expect(await kv.findNamespace('no-such-title')).toBeUndefined();
    await kv.deleteNamespace(first.id);
    await kv.deleteNamespace(first.id); // absent is fine
    expect(await kv.findNamespace('beta-oauth')).toBeUndefined();
  });
});

describe('values and keys', () => {
  let ns: string;
  beforeAll(async () => {
    ns = (await kv.ensureNamespace('values')).id;
  });

  test('put and get through KvApi; GET answers the raw bytes, a missing key is 404 with 10009', async () => {
    await kv.put(ns, 'invite:alice', '{"email":"alice@example.com"}');
    expect(await kv.get(ns, 'invite:alice')).toBe('{"email":"alice@example.com"}');
    expect(await kv.get(ns, 'invite:nobody')).toBeUndefined();

    const got = await raw('GET', `/namespaces/${ns}/values/${encodeURIComponent('invite:alice')}`);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('{"email":"alice@example.com"}');
    const missing = await raw('GET', `/namespaces/${ns}/values/nobody`);
    expect(missing.status).toBe(404);
    expect(await codesOf(missing)).toEqual([10009]);

    const binary = new Uint8Array([0, 255, 1, 254]);
    expect((await raw('PUT', `/namespaces/${ns}/values/bin`, { body: binary })).status).toBe(200);
    expect(new Uint8Array(await (await raw('GET', `/namespaces/${ns}/values/bin`)).arrayBuffer())).toEqual(binary);
  });

  test('the SDK writes multipart value + metadata; the key list carries the metadata', async () => {
    // As a JSON string: the SDK flattens an object into `metadata[by]` parts, which are not the schema's `metadata` part.
    const metadata = JSON.stringify({ by: 'sdk' });
    await cf.kv.namespaces.values.update('with-meta', { account_id: accountId, namespace_id: ns, value: 'v', metadata });
    const page = await cf.kv.namespaces.keys.list(ns, { account_id: accountId, prefix: 'with-' });
    expect(page.getPaginatedItems()).toEqual([{ name: 'with-meta', metadata: { by: 'sdk' } }]);
    expect(await kv.get(ns, 'with-meta')).toBe('v');
    // KvApi's metadata comes back in its own listing, with the expiry.
    await kv.put(ns, 'with-meta:kv', 'w', { metadata: { at: 1 }, expirationTtl: 600 });
    expect(await kv.listKeys(ns, 'with-meta:')).toEqual([{ name: 'with-meta:kv', metadata: { at: 1 }, expiration: expect.any(Number) }]);
  });

  test('expiration_ttl: at least 60 (else 400, 10001); the key lists its expiration', async () => {
    const refused = await raw('PUT', `/namespaces/${ns}/values/short?expiration_ttl=30`, { body: 'x' });
    expect(refused.status).toBe(400);
    expect(await codesOf(refused)).toEqual([10001]);
    expect(await kv.get(ns, 'short')).toBeUndefined();

    const before = Math.floor(Date.now() / 1000);
    await kv.put(ns, 'revoked:jti-1', '1', { expirationTtl: 120 });
    const keys = (await cf.kv.namespaces.keys.list(ns, { account_id: accountId, prefix: 'revoked:' })).getPaginatedItems();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.expiration).toBeGreaterThanOrEqual(before + 120);
    expect(keys[0]?.expiration).toBeLessThanOrEqual(before + 122);

    const past = await raw('PUT', `/namespaces/${ns}/values/past?expiration=${before - 10}`, { body: 'x' });
    expect(past.status).toBe(400);
  });

  test('a value of 25 MiB is stored and read back whole; one byte more is refused', async () => {
    const limit = 25 * 1024 * 1024;
    const big = new Uint8Array(limit).fill(97);
    big[limit - 1] = 98;
    const stored = await raw('PUT', `/namespaces/${ns}/values/big`, { body: big });
    expect(stored.status, await stored.clone().text()).toBe(200);
    const back = new Uint8Array(await (await raw('GET', `/namespaces/${ns}/values/big`)).arrayBuffer());
    expect(back.byteLength).toBe(limit);
    expect(back[limit - 1]).toBe(98);
    const tooBig = await raw('PUT', `/namespaces/${ns}/values/too-big`, { body: new Uint8Array(limit + 1) });
    expect(tooBig.status).toBe(400);
    expect(await codesOf(tooBig)).toEqual([10001]);
    expect(await kv.get(ns, 'too-big')).toBeUndefined();
    await kv.deleteKeys(ns, ['big']);
  });

  test('keys over 512 bytes and list limits outside 10..1000 are refused', async () => {
    const long = 'k'.repeat(513);
    expect((await raw('PUT', `/namespaces/${ns}/values/${long}`, { body: 'x' })).status).toBe(400);
    expect((await raw('GET', `/namespaces/${ns}/keys?limit=5`)).status).toBe(400);
    expect((await raw('GET', `/namespaces/${ns}/keys?limit=1001`)).status).toBe(400);
  });

  test('the key list pages with result_info.cursor; listKeys follows it; bulk delete empties the prefix', async () => {
    const pairs = Array.from({ length: 1_205 }, (_, i) => ({ key: `grant:${String(i).padStart(4, '0')}`, value: `g${i}` }));
    const written = await cf.kv.namespaces.bulkUpdate(ns, { account_id: accountId, body: pairs });
    expect(written).toMatchObject({ successful_key_count: 1_205 });

    const firstPage = (await (await raw('GET', `/namespaces/${ns}/keys?prefix=grant:&limit=500`)).json()) as {
      result: { name: string }[];
      result_info: { count: number; cursor: string };
    };
    expect(firstPage.result).toHaveLength(500);
    expect(firstPage.result_info.count).toBe(500);
    expect(firstPage.result_info.cursor).not.toBe('');
    const next = (await (
      await raw('GET', `/namespaces/${ns}/keys?prefix=grant:&limit=500&cursor=${encodeURIComponent(firstPage.result_info.cursor)}`)
    ).json()) as { result: { name: string }[] };
    expect(next.result[0]?.name).toBe('grant:0500');

    await clearLog();
    const names = (await kv.listKeys(ns, 'grant:')).map((key) => key.name);
    expect(names).toEqual(pairs.map((pair) => pair.key));
    expect((await kvLog()).filter((entry) => entry.path.includes('/keys'))).toHaveLength(2);

    await clearLog();
    await kv.deleteKeys(ns, names);
    expect(await kvLog()).toHaveLength(1);
    expect(await kv.listKeys(ns, 'grant:')).toEqual([]);
    expect(await kv.get(ns, 'invite:alice')).toBe('{"email":"alice@example.com"}');
  });

  test('an injected 503 is retried through the pacer: the write lands once, the read answers', async () => {
    await clearLog();
    const faults = await fetch(`${edge.info.adminUrl}/faults`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${edge.info.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: 1 }),
    });
    expect(faults.status).toBe(200);
    await kv.put(ns, 'retried', 'yes');
    expect(await kv.get(ns, 'retried')).toBe('yes');
    expect((await kvLog()).map((entry) => `${entry.method} ${entry.status}`)).toEqual(['PUT 503', 'PUT 200', 'GET 200']);
  });

  test('deleting a namespace deletes its data: the title made again is empty', async () => {
    const doomed = await kv.ensureNamespace('doomed');
    await kv.put(doomed.id, 'k', 'v');
    await kv.deleteNamespace(doomed.id);
    expect(await codesOf(await raw('GET', `/namespaces/${doomed.id}/values/k`))).toEqual([10013]);
    const reborn = await kv.ensureNamespace('doomed');
    expect(reborn.id).not.toBe(doomed.id);
    expect(await kv.listKeys(reborn.id)).toEqual([]);
  });
});

describe('a worker bound to a namespace', () => {
  let ns: string;

  test('an upload binding a namespace id the account does not have is refused (10042)', async () => {
    const refused = await putScript('kvworker', [{ type: 'kv_namespace', name: 'STORE', namespace_id: '0'.repeat(32) }]);
    expect(refused).toEqual({ status: 400, codes: [10042] });
  });

  test('the worker reads what the API wrote, and the API reads what the worker wrote', async () => {
    ns = (await kv.ensureNamespace('kvworker-oauth')).id;
    await kv.put(ns, 'from-api', 'hello from the API');
    expect(await putScript('kvworker', [{ type: 'kv_namespace', name: 'STORE', namespace_id: ns }])).toEqual({ status: 200, codes: [] });
    const read = await workerFetch('kvworker', '/from-api');
    expect(await read.text()).toBe('hello from the API');

    expect((await workerFetch('kvworker', '/from-worker', { method: 'PUT', body: 'hello from the worker' })).status).toBe(200);
    expect(await kv.get(ns, 'from-worker')).toBe('hello from the worker');
    expect((await kv.listKeys(ns)).map((key) => key.name)).toEqual(['from-api', 'from-worker']);

    // A change through the API is the worker's next read.
    await kv.put(ns, 'from-api', 'changed');
    expect(await (await workerFetch('kvworker', '/from-api')).text()).toBe('changed');
  });

  test('namespaces, values and the binding survive an edge restart', async () => {
    await edge.stop();
    await useEdge(await startEdge({ projectDir: project.dir, port: 0 }));
    expect(await kv.findNamespace('kvworker-oauth')).toEqual({ id: ns, title: 'kvworker-oauth' });
    expect(await kv.get(ns, 'from-worker')).toBe('hello from the worker');
    expect(await (await workerFetch('kvworker', '/from-api')).text()).toBe('changed');
    expect((await workerFetch('kvworker', '/after-restart', { method: 'PUT', body: 'again' })).status).toBe(200);
    expect(await kv.get(ns, 'after-restart')).toBe('again');
  }, 60_000);
});

describe('unmodified wrangler kv against the edge', () => {
  const wranglerBin = join(repoRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  async function wrangler(args: string[]): Promise<{ exitCode: number; stdout: string; all: string }> {
    const home = join(project.dir, '.home');
    await mkdir(home, { recursive: true });
    const result = await execa(process.execPath, [wranglerBin, 'kv', ...args], {
      cwd: project.dir,
      env: {
        CLOUDFLARE_API_BASE_URL: edge.info.apiBaseUrl,
        CLOUDFLARE_API_TOKEN: edge.info.token,
        CLOUDFLARE_ACCOUNT_ID: edge.info.accountId,
        CI: '1',
        NO_COLOR: '1',
        WRANGLER_SEND_METRICS: 'false',
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
      },
      all: true,
      reject: false,
      timeout: 120_000,
    });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), all: String(result.all) };
  }

  test('namespace create/list/delete, key put/get/list/delete, bulk put/get/delete', async () => {
    const created = await wrangler(['namespace', 'create', 'wrangler-ns']);
    expect(created.exitCode, created.all).toBe(0);
    const listed = await wrangler(['namespace', 'list']);
    expect(listed.exitCode, listed.all).toBe(0);
    const id = (JSON.parse(listed.stdout) as { id: string; title: string }[]).find((ns) => ns.title === 'wrangler-ns')?.id ?? '';
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const ns = ['--namespace-id', id, '--remote'];

    expect((await wrangler(['key', 'put', ...ns, 'k1', 'v1'])).exitCode).toBe(0);
    expect((await wrangler(['key', 'put', ...ns, 'k2', 'v2', '--metadata', '{"a":1}', '--ttl', '120'])).exitCode).toBe(0);
    const got = await wrangler(['key', 'get', ...ns, 'k1']);
    expect(got.stdout.trim()).toBe('v1');
    const keys = await wrangler(['key', 'list', ...ns]);
    expect(JSON.parse(keys.stdout)).toEqual([{ name: 'k1' }, { name: 'k2', expiration: expect.any(Number), metadata: { a: 1 } }]);
    expect((await wrangler(['key', 'delete', ...ns, 'k1'])).exitCode).toBe(0);
    expect(await kv.get(id, 'k1')).toBeUndefined();

    await writeFile(
      join(project.dir, 'put.json'),
      JSON.stringify([
        { key: 'b1', value: 'x' },
        { key: 'b2', value: 'y' },
      ]),
    );
    expect((await wrangler(['bulk', 'put', ...ns, 'put.json'])).exitCode).toBe(0);
    await writeFile(join(project.dir, 'get.json'), JSON.stringify(['b1', 'b2', 'missing']));
    const bulkGot = await wrangler(['bulk', 'get', ...ns, 'get.json']);
    expect(bulkGot.exitCode, bulkGot.all).toBe(0);
    expect(JSON.parse(bulkGot.stdout)).toEqual({ b1: 'x', b2: 'y', missing: null });
    await writeFile(join(project.dir, 'delete.json'), JSON.stringify(['b1']));
    const deleted = await wrangler(['bulk', 'delete', ...ns, 'delete.json', '--force']);
    expect(deleted.exitCode, deleted.all).toBe(0);
    expect((await kv.listKeys(id)).map((key) => key.name)).toEqual(['b2', 'k2']);

    const dropped = await wrangler(['namespace', 'delete', '--namespace-id', id, '--skip-confirmation']);
    expect(dropped.exitCode, dropped.all).toBe(0);
    expect(await kv.findNamespace('wrangler-ns')).toBeUndefined();
    expect((await kvLog()).filter((entry) => entry.route === null)).toEqual([]);
  }, 180_000);
});
