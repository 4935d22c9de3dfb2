import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { metricsSql, parseSince } from '../../src/ops/metrics/sql.js';
import type { MetricsJson } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet metrics` through the built binary against workers on the local edge: after a known
 * set of requests — with the key (2xx), without it (401) and to /health — each client's report has
 * exactly that many requests, that status split per route, and the latency percentiles of the
 * points the worker wrote; one Analytics Engine SQL query per client, answered by the edge.
 */

let fleet: TestFleet;
const keys = new Map<string, string>();

beforeAll(async () => {
  fleet = await createTestFleet('metrics', ['acme', 'globex']);
  for (const client of ['acme', 'globex']) keys.set(client, (await fleet.secrets(client)).get('API_KEY') as string);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'metrics-test', version: '1.0.0' } },
});

/** POST /mcp (with or without the client's key) or GET /health; returns the status. */
async function request(client: string, kind: 'mcp-key' | 'mcp-nokey' | 'health'): Promise<number> {
  const base = fleet.workerUrl(client);
  const response =
    kind === 'health'
      ? await fetch(`${base}/health`)
      : await fetch(`${base}/mcp`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(kind === 'mcp-key' ? { authorization: `Bearer ${keys.get(client)}` } : {}),
          },
          body: INITIALIZE,
        });
  await response.body?.cancel();
  return response.status;
}

/** Data points reach the edge after the response (waitUntil): wait until the worker wrote `count`. */
async function pointsArrive(client: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (fleet.edge.analytics.list(client).length < count) {
    if (Date.now() > deadline) throw new Error(`${client}: ${fleet.edge.analytics.list(client).length} of ${count} points arrived`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Nearest rank over unit weights, written independently of the edge's engine. */
function nearestRank(values: number[], level: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * level) - 1)] as number;
}

describe('metrics', () => {
  test('reports exactly the requests made, their status split by route, and their latency percentiles', async () => {
    fleet.edge.analytics.clear();
    const plan: [string, 'mcp-key' | 'mcp-nokey' | 'health'][] = [
      ...Array.from({ length: 6 }, () => ['acme', 'mcp-key'] as [string, 'mcp-key']),
      ...Array.from({ length: 4 }, () => ['acme', 'mcp-nokey'] as [string, 'mcp-nokey']),
      ...Array.from({ length: 3 }, () => ['acme', 'health'] as [string, 'health']),
      ['globex', 'mcp-nokey'],
      ['globex', 'health'],
    ];
    const statuses = new Map<string, number[]>();
    for (const [client, kind] of plan) {
      const status = await request(client, kind);
      statuses.set(`${client} ${kind}`, [...(statuses.get(`${client} ${kind}`) ?? []), status]);
    }
    expect(statuses.get('acme mcp-key')?.every((s) => s === 200)).toBe(true);
    expect(statuses.get('acme mcp-nokey')?.every((s) => s === 401)).toBe(true);
    await pointsArrive('acme', 13);
    await pointsArrive('globex', 2);

    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<MetricsJson>(['metrics', 'acme', 'globex', '--local', '--since', '15m']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [acme, globex] = result.json.clients;
    expect(acme).toMatchObject({ client: 'acme', dataset: 'acme_metrics', requests: 13, status2xx: 9, status4xx: 4, status5xx: 0 });
    expect(globex).toMatchObject({ client: 'globex', requests: 2, status2xx: 1, status4xx: 1, status5xx: 0 });
    expect(acme?.routes.map((r) => [r.route, r.requests, r.status2xx, r.status4xx, r.status5xx])).toEqual([
      ['/mcp', 10, 6, 4, 0],
      ['/health', 3, 3, 0, 0],
    ]);
    // Every request falls in one bucket of the trend.
    expect(acme?.buckets).toHaveLength(24);
    expect(acme?.buckets.reduce((a, b) => a + b, 0)).toBe(13);
    // Percentiles are those of the latencies the worker itself recorded.
    for (const route of acme?.routes ?? []) {
      const ms = fleet.edge.analytics
        .list('acme')
        .filter((p) => p.blobs[1] === route.route)
        .map((p) => p.doubles[1] as number);
      expect(route.p50Ms).toBe(nearestRank(ms, 0.5));
      expect(route.p95Ms).toBe(nearestRank(ms, 0.95));
    }
    // One Analytics Engine SQL query per client, through the API the edge logs.
    const queries = (await fleet.requests(since)).filter((entry) => entry.path.endsWith('/analytics_engine/sql'));
    expect(queries.map((q) => [q.method, q.status])).toEqual([
      ['POST', 200],
      ['POST', 200],
    ]);
  });

  test('the human report is one table, a totals row per client and a row per route', async () => {
    const result = await fleet.cli(['metrics', '--all', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^CLIENT\s+ROUTE\s+REQUESTS\s+2XX\s+4XX\s+429\s+5XX\s+TOOL ERR\s+P50\s+P95$/);
    expect(lines.find((line) => line.startsWith('acme'))).toMatch(/^acme\s+all\s+13\s+9\s+4\s+0\s+0\s+0$/);
    expect(result.stdout).toMatch(/^\s+\/mcp\s+10\s+6\s+4\s+0\s+0\s+0\s+[\d.]+ ms\s+[\d.]+ ms$/m);
    expect(result.stdout).toMatch(/over the last 1h/);
  });

  test('the edge answers the query mcp-fleet sends, and refuses any other with a Cloudflare error', async () => {
    const url = `${fleet.edge.info.apiBaseUrl}/accounts/${fleet.edge.info.accountId}/analytics_engine/sql`;
    const post = (body: string) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${fleet.edge.info.token}` }, body });
    const ours = await post(metricsSql('globex_metrics', parseSince('1h')));
    expect(ours.status).toBe(200);
    const answer = (await ours.json()) as { meta: { name: string }[]; data: { route: string; requests: string }[]; rows: number };
    expect(answer.rows).toBe(2);
    expect(answer.data.map((row) => [row.route, row.requests]).sort()).toEqual([
      ['/health', '1'],
      ['/mcp', '1'],
    ]);
    const other = await post('SELECT blob2, count() AS n FROM acme_metrics GROUP BY blob2 ORDER BY n DESC');
    expect(other.status).toBe(400);
    const error = (await other.json()) as { success: boolean; errors: { code: number; message: string }[] };
    expect(error.success).toBe(false);
    expect(error.errors[0]?.message).toMatch(/expected AS, found "," at position 13/);
    const unauthorized = await fetch(url, { method: 'POST', body: 'SELECT count() AS n FROM acme_metrics' });
    expect(unauthorized.status).toBe(403);
  });

  test('bad input is exit 2 naming the flag', async () => {
    const result = await fleet.cli(['metrics', '--all', '--local', '--since', 'yesterday']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--since yesterday/);
  });

  test('a client without a dataset fails alone; the others are still reported (exit 1)', async () => {
    const config = join(fleet.dir, 'wrangler.jsonc');
    const original = await readFile(config, 'utf8');
    const edited = original.replace(/"binding":(\s*)"ANALYTICS"(,\s*"dataset":\s*"globex_metrics")/, '"binding":$1"STATS"$2');
    expect(edited).not.toBe(original);
    await writeFile(config, edited);
    try {
      const result = await fleet.cliJson<MetricsJson>(['metrics', '--all', '--local']);
      expect(result.exitCode).toBe(1);
      expect(result.json.ok).toBe(false);
      expect(result.json.clients.map((c) => [c.client, c.requests, c.error?.message ?? null])).toEqual([
        ['acme', 13, null],
        ['globex', 0, 'env.globex binds no Analytics Engine dataset as ANALYTICS'],
      ]);
      expect(result.stderr).toMatch(/globex: env.globex binds no Analytics Engine dataset/);
    } finally {
      await writeFile(config, original);
    }
  });

  test("verify's own probes are tagged and left out of a client's metrics; --include-probes counts them", async () => {
    fleet.edge.analytics.clear();
    const verified = await fleet.cli(['verify', 'acme', '--local']);
    expect(verified.exitCode, verified.stderr).toBe(0);
    // Its points arrive after each answer: wait until no more come.
    let count = -1;
    while (count !== fleet.edge.analytics.list('acme').length) {
      count = fleet.edge.analytics.list('acme').length;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const points = fleet.edge.analytics.list('acme');
    expect(points.length).toBeGreaterThanOrEqual(10);
    // Every request verify sent carries its User-Agent, which the template records as blob5.
    expect(points.filter((p) => p.blobs[4] !== 'verify')).toEqual([]);
    const refused = points.filter((p) => (p.doubles[0] as number) >= 400 && (p.doubles[0] as number) < 500).length;
    expect(refused).toBeGreaterThan(0);

    const byDefault = await fleet.cliJson<MetricsJson>(['metrics', 'acme', '--local', '--since', '15m']);
    expect(byDefault.exitCode, byDefault.stderr).toBe(0);
    expect(byDefault.json.clients[0]).toMatchObject({ client: 'acme', requests: 0, status4xx: 0 });
    const withProbes = await fleet.cliJson<MetricsJson>(['metrics', 'acme', '--local', '--since', '15m', '--include-probes']);
    expect(withProbes.json.clients[0]).toMatchObject({ client: 'acme', requests: points.length, status4xx: refused });
    console.log(`[metrics] one verify of acme: ${points.length} requests, ${refused} of them 4xx, all left out by default`);
  });
});
