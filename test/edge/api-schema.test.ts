import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RequestLogEntry } from '../../src/local/admin/request-log.js';
import { type RunningEdge, startEdge } from '../../src/local/edge.js';
import { installLocalhostResolver } from '../../src/util/localhost-resolver.js';
import { repoRoot, tempDir } from '../helpers/cli.js';

/**
 * The local edge takes what Cloudflare's published API schema takes for each operation and refuses
 * what it does not: settings in the operation the schema puts them in, a deployment's strategy and
 * bounds, a tail's id and GET …/tails as one object. And a gradual deployment serves each version
 * its share of the requests, by a fixed sequence (no chance), with version overrides and keys.
 */

let project: { dir: string; cleanup: () => Promise<void> };
let edge: RunningEdge;
let code: Uint8Array;

beforeAll(async () => {
  project = await tempDir('mcp-fleet-api-schema-');
  code = new Uint8Array(await readFile(join(repoRoot, 'test', 'fixtures', 'edge-echo', 'worker.mjs')));
  installLocalhostResolver();
  edge = await startEdge({ projectDir: project.dir, port: 0 });
});

afterAll(async () => {
  await edge?.stop();
  await project?.cleanup();
});

interface Envelope<T = Record<string, unknown>> {
  success: boolean;
  errors: { code: number; message: string }[];
  messages: { code: number; message: string }[];
  result: T;
}

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number } & Envelope<T>> {
  const { info } = edge;
  const response = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}/workers${path}`, {
    method,
    headers: {
      authorization: `Bearer ${info.token}`,
      ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as Envelope<T>) };
}

/** The echo worker, naming `label` in its answers (its NAME var), with extra metadata fields. */
function upload(label: string, extra: Record<string, unknown> = {}): FormData {
  const form = new FormData();
  const metadata = {
    main_module: 'worker.mjs',
    compatibility_date: '2026-11-01',
    bindings: [{ type: 'plain_text', name: 'NAME', text: label }],
    ...extra,
  };
  form.set('metadata', JSON.stringify(metadata));
  form.set('worker.mjs', new File([new Uint8Array(code)], 'worker.mjs', { type: 'application/javascript+module' }));
  return form;
}

async function createWorker(name: string, label: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await api<{ deployment_id: string }>('PUT', `/scripts/${name}`, upload(label, extra));
  expect(created.status, JSON.stringify(created.errors)).toBe(200);
  return created.result.deployment_id;
}

async function uploadVersion(name: string, label: string): Promise<string> {
  const uploaded = await api<{ id: string }>('POST', `/scripts/${name}/versions`, upload(label));
  expect(uploaded.status, JSON.stringify(uploaded.errors)).toBe(200);
  return uploaded.result.id;
}

async function deploy(name: string, versions: { version_id: string; percentage: number }[]) {
  return api('POST', `/scripts/${name}/deployments`, { strategy: 'percentage', versions });
}

async function requestLog(script: string): Promise<RequestLogEntry[]> {
  const response = await fetch(`${edge.info.adminUrl}/requests?script=${script}`, {
    headers: { authorization: `Bearer ${edge.info.token}` },
  });
  return ((await response.json()) as { result: RequestLogEntry[] }).result;
}

/** Which version (its NAME) answers each of `count` requests. */
async function served(name: string, count: number, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const response = await fetch(`http://${name}.localhost:${edge.info.port}/`, { headers });
    const body = (await response.json()) as { name: string };
    counts.set(body.name, (counts.get(body.name) ?? 0) + 1);
  }
  return counts;
}

describe('settings go where the schema puts them', () => {
  test('a version upload refuses a script-level setting it does not define (400, 10001, naming it)', async () => {
    await createWorker('settings', 'v1', { observability: { enabled: true }, tags: ['team:a'] });
    for (const field of [{ tags: ['team:b'] }, { migrations: { new_tag: 'v1' } }, { not_a_field: 1 }]) {
      const refused = await api('POST', '/scripts/settings/versions', upload('v2', field));
      expect(refused.status, JSON.stringify(refused)).toBe(400);
      expect(refused.success).toBe(false);
      expect(refused.errors[0]?.code).toBe(10001);
      expect(refused.errors[0]?.message).toContain(`"${Object.keys(field)[0]}"`);
      expect(refused.errors[0]?.message).toMatch(/not part of a version upload's metadata in Cloudflare's API schema/);
    }
    // Nothing was stored by the refused uploads.
    const versions = await api<{ items: unknown[] }>('GET', '/scripts/settings/versions');
    expect(versions.result.items).toHaveLength(1);
  });

  test('observability in a version upload (wrangler sends it) is accepted, not applied, and said so; script-settings sets it', async () => {
    const taken = await api('POST', '/scripts/settings/versions', upload('v2', { observability: { enabled: false } }));
    expect(taken.status).toBe(200);
    expect(taken.messages.map((m) => m.message).join(' ')).toMatch(/Ignored "observability": not part of a version upload/);
    const log = await requestLog('settings');
    expect(log.at(-1)).toMatchObject({ method: 'POST', status: 200, ignored: ['observability'] });
    const before = await api<{ observability: unknown; tags: string[] }>('GET', '/scripts/settings/script-settings');
    expect(before.result).toMatchObject({ observability: { enabled: true }, tags: ['team:a'] });

    const patched = await api('PATCH', '/scripts/settings/script-settings', { observability: { enabled: false }, tags: ['team:c'] });
    expect(patched.status).toBe(200);
    expect(patched.result).toMatchObject({ observability: { enabled: false }, tags: ['team:c'] });
    expect((await requestLog('settings')).at(-1)?.ignored).toEqual([]);
  });

  test('script-settings refuses what its schema does not define', async () => {
    const refused = await api('PATCH', '/scripts/settings/script-settings', { placement: { mode: 'smart' } });
    expect(refused.status).toBe(400);
    expect(refused.errors[0]).toMatchObject({ code: 10001, message: expect.stringContaining('"placement"') });
  });

  test('a script upload takes the script-level settings (its schema defines them)', async () => {
    await createWorker('settings', 'v3', { observability: { enabled: true, head_sampling_rate: 0.5 }, tags: ['team:d'] });
    const settings = await api<{ observability: unknown; tags: string[] }>('GET', '/scripts/settings/script-settings');
    expect(settings.result).toMatchObject({ observability: { enabled: true, head_sampling_rate: 0.5 }, tags: ['team:d'] });
  });
});

describe('deployments and tails as the schema has them', () => {
  test('a deployment needs its strategy, shares from 0.01 to 100, and only the schema fields', async () => {
    const first = await createWorker('bounds', 'one');
    const second = await uploadVersion('bounds', 'two');
    const cases: [unknown, RegExp][] = [
      [{ versions: [{ version_id: first, percentage: 100 }] }, /"strategy" is required/],
      [
        {
          strategy: 'percentage',
          versions: [
            { version_id: first, percentage: 100 },
            { version_id: second, percentage: 0 },
          ],
        },
        /from 0\.01 to 100 \(got 0\)/,
      ],
      [{ strategy: 'percentage', versions: [{ version_id: first, percentage: 101 }] }, /from 0\.01 to 100/],
      [{ strategy: 'percentage', versions: [{ version_id: first, percentage: 100, weight: 1 }] }, /"weight"/],
      [
        { strategy: 'percentage', versions: [{ version_id: first, percentage: 100 }], rollout: 'now' },
        /"rollout" is not part of a deployment/,
      ],
    ];
    for (const [body, message] of cases) {
      const refused = await api('POST', '/scripts/bounds/deployments', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.errors[0]?.code).toBe(10001);
      expect(refused.errors[0]?.message).toMatch(message);
    }
    const smallest = await deploy('bounds', [
      { version_id: second, percentage: 0.01 },
      { version_id: first, percentage: 99.99 },
    ]);
    expect(smallest.status, JSON.stringify(smallest.errors)).toBe(200);
    // wrangler's code_update_strategy is taken (not in the schema, not applied) and named.
    const byWrangler = await api('POST', '/scripts/bounds/deployments', {
      strategy: 'percentage',
      versions: [{ version_id: second, percentage: 100 }],
      annotations: {},
      code_update_strategy: { mode: 'deferred', max_delay: 300 },
    });
    expect(byWrangler.status).toBe(200);
    expect((await requestLog('bounds')).at(-1)?.ignored).toEqual(['code_update_strategy']);
  });

  test('a tail id has 32 hex characters; GET …/tails answers the one tail (null without one)', async () => {
    await createWorker('tailed', 'one');
    expect((await api('GET', '/scripts/tailed/tails')).result).toBeNull();
    const created = await api<{ id: string; url: string; expires_at: string }>('POST', '/scripts/tailed/tails', { filters: [] });
    expect(created.result.id).toMatch(/^[0-9a-f]{32}$/);
    const listed = await api('GET', '/scripts/tailed/tails');
    expect(Array.isArray(listed.result)).toBe(false);
    expect(listed.result).toEqual(created.result);
    expect((await api('DELETE', `/scripts/tailed/tails/${created.result.id}`)).status).toBe(200);
    expect((await api('GET', '/scripts/tailed/tails')).result).toBeNull();
  });
});

describe('a gradual deployment serves each version its share', () => {
  let older: string;
  let newer: string;

  beforeAll(async () => {
    older = await createWorker('split', 'old');
    newer = await uploadVersion('split', 'new');
  });

  test('1,000 requests at 10 % to the new version: 100 of them (5–15 % on Cloudflare), by a fixed sequence', async () => {
    const deployed = await deploy('split', [
      { version_id: newer, percentage: 10 },
      { version_id: older, percentage: 90 },
    ]);
    expect(deployed.status).toBe(200);
    const counts = await served('split', 1000);
    expect(counts.get('new')).toBe(100);
    expect(counts.get('old')).toBe(900);
  });

  test('50/50: half each, every time (the sequence starts again with each deployment)', async () => {
    await deploy('split', [
      { version_id: older, percentage: 50 },
      { version_id: newer, percentage: 50 },
    ]);
    expect(Object.fromEntries(await served('split', 200))).toEqual({ old: 100, new: 100 });
  });

  test('Cloudflare-Workers-Version-Overrides sends every request to the version it names', async () => {
    const counts = await served('split', 20, { 'Cloudflare-Workers-Version-Overrides': `split="${older}"` });
    expect(Object.fromEntries(counts)).toEqual({ old: 20 });
    // A version the deployment does not run, or another worker's name: routed by the percentages.
    const ignored = await served('split', 20, { 'Cloudflare-Workers-Version-Overrides': `other="${older}"` });
    expect((ignored.get('old') ?? 0) + (ignored.get('new') ?? 0)).toBe(20);
    expect(ignored.size).toBe(2);
  });

  test('Cloudflare-Workers-Version-Key keeps one key on one version', async () => {
    const byKey = new Map<string, string>();
    for (const key of Array.from({ length: 40 }, (_, i) => `user-${i}`)) {
      const counts = await served('split', 3, { 'Cloudflare-Workers-Version-Key': key });
      expect(counts.size, key).toBe(1);
      byKey.set(key, [...counts.keys()][0] as string);
    }
    // At 50/50, forty keys do not all land on one version.
    expect(new Set(byKey.values())).toEqual(new Set(['old', 'new']));
  });

  test('back to one version at 100 %: every request to it', async () => {
    await deploy('split', [{ version_id: newer, percentage: 100 }]);
    expect(Object.fromEntries(await served('split', 20))).toEqual({ new: 20 });
  });
});
