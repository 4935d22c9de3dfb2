import { describe, expect, test } from 'vitest';
import { runAnalyticsQuery, weightedQuantile } from '../../src/local/analytics/sql-engine.js';
import { parseAnalyticsSql, SqlError } from '../../src/local/analytics/sql-parser.js';
import type { DataPoint } from '../../src/local/analytics/store.js';
import { readMetricsRows, totalsOf } from '../../src/ops/metrics/rows.js';
import { bucketEdges, metricsSql, parseSince } from '../../src/ops/metrics/sql.js';
import { sparkline } from '../../src/ui/sparkline.js';
import { isFleetError } from '../../src/util/errors.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

function point(agoSeconds: number, route: string, status: number, ms: number, dataset = 'acme_metrics'): DataPoint {
  return {
    time: new Date(NOW - agoSeconds * 1000).toISOString(),
    script: dataset.replace(/_metrics$/, ''),
    dataset,
    binding: 'ANALYTICS',
    blobs: ['acme', route, 'POST'],
    doubles: [status, ms],
    indexes: ['acme'],
  };
}

describe('--since', () => {
  test('reads s, m, h and d within 1m to 90d', () => {
    expect(parseSince('1h')).toEqual({ since: '1h', seconds: 3600, buckets: 24 });
    expect(parseSince('15m').seconds).toBe(900);
    expect(parseSince('7d').seconds).toBe(604_800);
    expect(parseSince('90s').seconds).toBe(90);
  });

  test.each(['', '1', '30s', '91d', '1w', '-1h', '1.5h', 'h'])('refuses %j with exit 2 naming the flag', (text) => {
    try {
      parseSince(text);
      expect.unreachable();
    } catch (error) {
      expect(isFleetError(error) && error.exitCode).toBe(2);
      expect((error as Error).message).toMatch(/^--since /);
    }
  });

  test('bucket edges partition the window, oldest first', () => {
    const edges = bucketEdges(parseSince('1h'));
    expect(edges).toHaveLength(25);
    expect(edges[0]).toBe(3600);
    expect(edges.at(-1)).toBe(0);
    expect(edges[1]).toBe(3450);
  });
});

describe('the metrics query', () => {
  const window = parseSince('1h');
  const sql = metricsSql('acme_metrics', window);

  test('is one SELECT over the dataset, grouped by route, in JSON', () => {
    expect(sql).toMatch(/^SELECT\n {2}blob2 AS route,\n {2}SUM\(_sample_interval\) AS requests,/);
    expect(sql).toContain('quantileWeighted(0.95, double2, _sample_interval) AS p95_ms');
    expect(sql).toContain(
      "FROM acme_metrics\nWHERE timestamp > NOW() - INTERVAL '3600' SECOND AND blob5 != 'verify'\nGROUP BY route\nFORMAT JSON",
    );
    expect(sql.match(/ AS b\d+/g)).toHaveLength(24);
  });

  test('refuses a dataset name that is not a plain identifier', () => {
    expect(() => metricsSql('acme; DROP', window)).toThrow(/not a plain name/);
  });

  test("counts the calls the client's rate limit refused (429) apart, within the 4xx", () => {
    const sql = metricsSql('acme_metrics', window);
    const points = [point(10, '/mcp', 200, 5), point(20, '/mcp', 429, 1), point(30, '/mcp', 429, 1), point(40, '/mcp', 401, 1)];
    const { routes } = readMetricsRows(runAnalyticsQuery(parseAnalyticsSql(sql), points, NOW).data, window.buckets);
    expect(totalsOf(routes)).toEqual({ requests: 4, status2xx: 1, status4xx: 3, status5xx: 0, rateLimited: 2, toolErrors: 0 });
  });

  test('the local edge answers it: counts, status split, percentiles and buckets', () => {
    const points = [
      point(10, '/mcp', 200, 5),
      point(20, '/mcp', 200, 7),
      point(30, '/mcp', 401, 1),
      point(40, '/mcp', 500, 40),
      point(3000, '/health', 200, 2),
      point(4000, '/health', 200, 2), // outside the window
      point(10, '/mcp', 200, 1, 'globex_metrics'), // another dataset
    ];
    const answer = runAnalyticsQuery(parseAnalyticsSql(sql), points, NOW);
    expect(answer.rows).toBe(2);
    expect(answer.meta.slice(0, 7)).toEqual([
      { name: 'route', type: 'String' },
      { name: 'requests', type: 'UInt64' },
      { name: 'status_2xx', type: 'UInt64' },
      { name: 'status_4xx', type: 'UInt64' },
      { name: 'status_5xx', type: 'UInt64' },
      { name: 'p50_ms', type: 'Float64' },
      { name: 'p95_ms', type: 'Float64' },
    ]);
    const mcp = answer.data.find((row) => row.route === '/mcp');
    // ClickHouse writes 64-bit counts as strings.
    expect(mcp).toMatchObject({ requests: '4', status_2xx: '2', status_4xx: '1', status_5xx: '1', p50_ms: 5, p95_ms: 40 });
    const { routes, counts } = readMetricsRows(answer.data, window.buckets);
    expect(routes.map((r) => [r.route, r.requests])).toEqual([
      ['/mcp', 4],
      ['/health', 1],
    ]);
    expect(totalsOf(routes)).toEqual({ requests: 5, status2xx: 3, status4xx: 1, status5xx: 1, rateLimited: 0, toolErrors: 0 });
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(counts.at(-1)).toBe(4); // the last 150 s
    expect(counts[3]).toBe(1); // 3000 s ago: bucket 3 holds ages [3000, 3150)
  });

  test("mcp-fleet's own checks (blob5 verify) are left out unless asked for", () => {
    const probe = { ...point(10, '/mcp', 401, 1), blobs: ['acme', '/mcp', 'POST', '', 'verify'] };
    const points = [point(10, '/mcp', 200, 5), probe, { ...probe, doubles: [200, 3] }];
    const requests = (text: string) => readMetricsRows(runAnalyticsQuery(parseAnalyticsSql(text), points, NOW).data, window.buckets);
    expect(totalsOf(requests(sql).routes)).toEqual({
      requests: 1,
      status2xx: 1,
      status4xx: 0,
      status5xx: 0,
      rateLimited: 0,
      toolErrors: 0,
    });
    const all = metricsSql('acme_metrics', window, { includeProbes: true });
    expect(all).not.toContain('blob5');
    expect(totalsOf(requests(all).routes)).toEqual({
      requests: 3,
      status2xx: 2,
      status4xx: 1,
      status5xx: 0,
      rateLimited: 0,
      toolErrors: 0,
    });
  });

  test('an empty dataset has no rows', () => {
    expect(runAnalyticsQuery(parseAnalyticsSql(sql), [], NOW)).toEqual({
      meta: expect.any(Array),
      data: [],
      rows: 0,
      rows_before_limit_at_least: 0,
    });
  });
});

describe('the edge parser is strict', () => {
  test.each([
    ['SELECT * FROM acme_metrics', /expected a column/],
    ['SELECT blob1 AS b FROM acme_metrics ORDER BY b', /expected the end of the query, found "ORDER"/],
    ['SELECT avg(double2) AS a FROM acme_metrics', /unsupported function avg/],
    ['SELECT SUM(blob1) AS s FROM acme_metrics', /not numeric/],
    ['SELECT SUM(double9x) AS s FROM acme_metrics', /unknown column/],
    ['SELECT SUM(_sample_interval) AS s FROM acme_metrics WHERE blob1 > 3', /cannot compare string with number/],
    ["SELECT SUM(_sample_interval) AS s FROM acme_metrics WHERE timestamp > NOW() - INTERVAL '1' WEEK", /unsupported interval unit/],
    ['SELECT blob1 AS b FROM acme_metrics', /without an aggregate/],
    ['SELECT blob1 AS b, SUM(_sample_interval) AS s FROM acme_metrics', /must be in GROUP BY/],
    ['SELECT SUM(_sample_interval) AS s FROM a FORMAT CSV', /expected JSON/],
  ])('%s', (sql, message) => {
    const attempt = () => {
      const ast = parseAnalyticsSql(sql);
      runAnalyticsQuery(ast, [], NOW);
    };
    expect(attempt).toThrow(SqlError);
    expect(attempt).toThrow(message);
  });

  test('aggregates without GROUP BY give one row, also over no points', () => {
    const answer = runAnalyticsQuery(parseAnalyticsSql('select count() as n, sum(double1) as s from acme_metrics;'), [], NOW);
    expect(answer.data).toEqual([{ n: '0', s: 0 }]);
  });
});

describe('percentiles and sparklines', () => {
  test('weighted quantiles follow ClickHouse quantileExactWeighted', () => {
    const ones = (values: number[]) => values.map((value) => ({ value, weight: 1 }));
    expect(weightedQuantile(ones([4, 1, 3, 2]), 0.5)).toBe(2);
    expect(weightedQuantile(ones([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 0.95)).toBe(10);
    expect(weightedQuantile(ones([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 0.9)).toBe(9);
    expect(
      weightedQuantile(
        [
          { value: 1, weight: 9 },
          { value: 100, weight: 1 },
        ],
        0.95,
      ),
    ).toBe(100);
    expect(
      weightedQuantile(
        [
          { value: 1, weight: 9 },
          { value: 100, weight: 1 },
        ],
        0.5,
      ),
    ).toBe(1);
    expect(weightedQuantile([], 0.5)).toBeNaN();
  });

  test('rows are read leniently: string counts, null and nan latencies', () => {
    const { routes } = readMetricsRows([{ route: '/mcp', requests: '3', status_2xx: 3, p50_ms: 'nan', p95_ms: null, b0: '3' }], 1);
    expect(routes[0]).toEqual({
      route: '/mcp',
      requests: 3,
      status2xx: 3,
      status4xx: 0,
      status5xx: 0,
      rateLimited: 0,
      toolErrors: 0,
      p50Ms: null,
      p95Ms: null,
    });
  });

  test('a sparkline shows any traffic above an empty bucket', () => {
    expect(sparkline([0, 1, 0, 8, 4])).toBe('▁▂▁█▅');
    expect(sparkline([0, 0])).toBe('▁▁');
  });
});
