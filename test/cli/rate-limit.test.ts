import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MetricsJson, StatusJson } from '../../src/ui/json/index.js';
import { callsPerScript, closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';
import { freshRateWindow } from '../helpers/rate-window.js';

/**
 * Per-client rate limits end to end, through the built binary against one local edge: `add` writes
 * each client's limit, `deploy` ships it on the direct upload (no wrangler), and the worker answers
 * a client's N calls per 10 s, then 429 with the headers a host or agent can act on, while its
 * /health and the other client are untouched.
 */

const LIMIT = 5;
let fleet: TestFleet;

interface Section {
  ratelimits?: { name: string; namespace_id: string; simple: { limit: number; period: number } }[];
  vars?: Record<string, string>;
}

async function sections(): Promise<Record<string, Section>> {
  const text = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
  return (parseJsonc(text) as { env: Record<string, Section> }).env;
}

async function callMcp(client: string): Promise<Response> {
  const key = (await fleet.secrets(client)).get('API_KEY') ?? '';
  const response = await fetch(`${fleet.workerUrl(client)}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'rate-limit-test', version: '1' } },
    }),
  });
  return response;
}

beforeAll(async () => {
  fleet = await createTestFleet('ratelimit', ['acme', 'beta']);
  const deployed = await fleet.cli(['deploy', '--all', '--local']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

describe('rate limits', () => {
  test('add writes each client a limit from the defaults, each with its own namespace id, and the var that reports it', async () => {
    const env = await sections();
    expect(env.acme?.ratelimits).toEqual([{ name: 'RATE_LIMITER', namespace_id: '1001', simple: { limit: 600, period: 60 } }]);
    expect(env.beta?.ratelimits).toEqual([{ name: 'RATE_LIMITER', namespace_id: '1002', simple: { limit: 600, period: 60 } }]);
    expect(env.acme?.vars?.RATE_LIMIT).toBe('600/60');
  });

  test(`a client limited to ${LIMIT} per 10 s, deployed on the direct upload, answers ${LIMIT} calls then 429 with the headers`, async () => {
    const path = join(fleet.dir, 'wrangler.jsonc');
    let text = await readFile(path, 'utf8');
    text = applyEdits(text, modify(text, ['env', 'acme', 'ratelimits', 0, 'simple'], { limit: LIMIT, period: 10 }, {}));
    text = applyEdits(text, modify(text, ['env', 'acme', 'vars', 'RATE_LIMIT'], `${LIMIT}/10`, {}));
    await writeFile(path, text);
    // Changed but not deployed: status says so, naming the var.
    const drifted = await fleet.cliJson<StatusJson>(['status', 'acme', '--local']);
    expect(drifted.json.clients[0]?.drift).toContain('vars RATE_LIMIT');

    const since = await fleet.lastSeq();
    // --no-verify: verify's own calls to /mcp would spend part of so small a budget.
    const deployed = await fleet.cli(['deploy', 'acme', '--local', '--no-verify']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const calls = (await fleet.requests(since)).filter((entry) => entry.script === 'acme');
    console.log(`[api calls] deploy of acme (existing worker) with a changed rate limit: ${calls.length}`);
    expect(callsPerScript(calls).get('acme')).toBeLessThanOrEqual(2);
    // The direct upload (a version, then a deployment), not wrangler's fallback.
    expect(calls.map((call) => `${call.method} ${call.route?.replace(/^.*\/scripts\/:script/, '')}`)).toEqual([
      'POST /versions',
      'POST /deployments',
    ]);
    const settled = await fleet.cliJson<StatusJson>(['status', 'acme', '--local']);
    expect(settled.json.clients[0]?.varsDiffer).toEqual([]);

    await freshRateWindow(10);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i += 1) {
      const response = await callMcp('acme');
      await response.body?.cancel();
      statuses.push(response.status);
    }
    expect(statuses).toEqual(Array(LIMIT).fill(200));
    const limited = await callMcp('acme');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe('10');
    expect(await limited.json()).toMatchObject({ error: 'rate_limited', retryAfter: 10 });

    // /health is never limited, and beta counts on its own.
    const health = await fetch(`${fleet.workerUrl('acme')}/health`);
    expect(health.status).toBe(200);
    await health.body?.cancel();
    const beta = await callMcp('beta');
    expect(beta.status).toBe(200);
    await beta.body?.cancel();

    // metrics shows the limited calls per client, from the client's own dataset.
    const metrics = await fleet.cliJson<MetricsJson>(['metrics', 'acme', 'beta', '--local']);
    expect(metrics.exitCode, metrics.stderr).toBe(0);
    const byClient = new Map(metrics.json.clients.map((client) => [client.client, client]));
    expect(byClient.get('acme')).toMatchObject({ rateLimited: 1 });
    expect(byClient.get('beta')).toMatchObject({ rateLimited: 0 });
    expect(byClient.get('acme')?.routes.find((route) => route.route === '/mcp')?.rateLimited).toBe(1);
  });
});
