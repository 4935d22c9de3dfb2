import { describe, expect, test } from 'vitest';
import { AnalyticsSqlError, createAnalyticsQuery } from '../../src/cloudflare/analytics-sql.js';
import { DEFAULT_RETRY_POLICY, Pacer } from '../../src/cloudflare/pacer.js';
import type { Target } from '../../src/cloudflare/target.js';

const TOKEN = 'cf_token_that_must_never_be_printed_0123';
const target: Target = {
  kind: 'cloudflare',
  apiBaseUrl: 'https://api.example.test/client/v4',
  accountId: 'acc123',
  token: TOKEN,
  workerUrl: async (name) => `https://${name}.example.workers.dev`,
  childEnv: () => ({}),
};

function harness(answers: (() => Response)[]) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const pacer = new Pacer([{ requests: 1000, windowMs: 1000 }]);
  const query = createAnalyticsQuery(target, {
    pacer,
    policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    random: () => 0,
    fetch: async (input, init) => {
      calls.push({ url: String(input), init });
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      return next();
    },
  });
  return { calls, pacer, query };
}

const json = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status });

describe('the Analytics Engine SQL API client', () => {
  test('POSTs the SQL text with the token, through the pacer, and returns the rows', async () => {
    const { calls, pacer, query } = harness([json(200, { meta: [], data: [{ route: '/mcp', requests: '3' }], rows: 1 })]);
    expect(await query('SELECT 1', 'querying acme_metrics')).toEqual([{ route: '/mcp', requests: '3' }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://api.example.test/client/v4/accounts/acc123/analytics_engine/sql');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.body).toBe('SELECT 1');
    expect((calls[0]?.init?.headers as Record<string, string> | undefined)?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(pacer.stats.granted).toBe(1);
  });

  test('a 5xx or a lost connection is asked again (a query changes nothing)', async () => {
    const { calls, pacer, query } = harness([
      json(503, { success: false, errors: [{ code: 10013, message: 'busy' }] }),
      () => {
        throw new TypeError('fetch failed');
      },
      json(200, { data: [] }),
    ]);
    expect(await query('SELECT 1', 'q')).toEqual([]);
    expect(calls).toHaveLength(3);
    expect(pacer.stats.retries).toBe(2);
  });

  test("a refusal carries Cloudflare's reason and a hint, never the token", async () => {
    const { query } = harness([json(400, { success: false, errors: [{ code: 10001, message: 'unknown column blob99' }] })]);
    const error = await query('SELECT 1', 'querying acme_metrics of acme').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnalyticsSqlError);
    expect((error as Error).message).toBe('querying acme_metrics of acme: Cloudflare answered 400 (10001 unknown column blob99)');

    const forbidden = harness([() => new Response('Forbidden', { status: 403 })]);
    const refused = (await forbidden.query('SELECT 1', 'q').catch((e: unknown) => e)) as AnalyticsSqlError;
    expect(refused.message).toBe('q: Cloudflare answered 403 (Forbidden)');
    expect(refused.hint).toMatch(/Account Analytics: Read/);
    expect(JSON.stringify({ message: refused.message, hint: refused.hint })).not.toContain(TOKEN);
  });

  test('an answer without data rows is an error, not an empty report', async () => {
    const { query } = harness([() => new Response('<html>', { status: 200 }), json(200, { result: [] })]);
    await expect(query('SELECT 1', 'q')).rejects.toThrow(/other than JSON/);
    await expect(query('SELECT 1', 'q')).rejects.toThrow(/no "data" rows/);
  });
});
