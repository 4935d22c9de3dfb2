import { describe, expect, test } from 'vitest';
import { runAnalyticsQuery } from '../../src/local/analytics/sql-engine.js';
import { parseAnalyticsSql } from '../../src/local/analytics/sql-parser.js';
import type { DataPoint } from '../../src/local/analytics/store.js';
import { parseBakeLimits, parseMilliseconds, parseRate } from '../../src/ops/deploy/bake/bake-limits.js';
import { bakeSql, readBakeRow } from '../../src/ops/deploy/bake/bake-sql.js';
import { judgeBake } from '../../src/ops/deploy/bake/judge.js';
import { FleetError } from '../../src/util/errors.js';

/** The bake's limits, its query (run by the local edge's SQL engine over points as the template writes them) and its verdicts. */

const NOW = Date.parse('2026-12-06T12:00:00Z');

function point(
  version: string,
  status: number,
  ms: number,
  tool?: 'ok' | 'failed',
  extra: Partial<{ probe: boolean; ageS: number }> = {},
): DataPoint {
  return {
    time: new Date(NOW - (extra.ageS ?? 10) * 1000).toISOString(),
    script: 'acme',
    dataset: 'acme_metrics',
    binding: 'ANALYTICS',
    blobs: ['acme', '/mcp', 'POST', '2026-07-28', extra.probe ? 'verify' : '', 'key', 'abc', version],
    doubles: [status, ms, tool ? 1 : 0, tool === 'failed' ? 1 : 0],
    indexes: ['acme'],
  };
}

function figures(points: DataPoint[], version = 'v2', sinceSeconds = 60) {
  const answer = runAnalyticsQuery(parseAnalyticsSql(bakeSql('acme_metrics', version, sinceSeconds)), points, NOW);
  return readBakeRow(answer.data as Record<string, unknown>[]);
}

const limits = { seconds: 60, maxErrorRate: 0.02, maxP95Ms: 800, minRequests: 10 };

describe('bake query', () => {
  test("counts the new version's own /mcp calls: not the old version's, not mcp-fleet's probes, not 429s, not before the wave", () => {
    const points = [
      ...Array.from({ length: 8 }, () => point('v2', 200, 10, 'ok')),
      point('v2', 200, 12, 'failed'),
      point('v2', 500, 30, 'failed'),
      point('v2', 502, 40),
      point('v1', 500, 10, 'failed'),
      point('v2', 200, 10, 'failed', { probe: true }),
      point('v2', 429, 1, undefined),
      point('v2', 500, 10, 'failed', { ageS: 120 }),
    ];
    expect(figures(points)).toEqual({ requests: 11, status5xx: 2, toolCalls: 10, toolErrors: 1, p95Ms: 40 });
  });

  test('a version id that is not a plain id never reaches the SQL text', () => {
    expect(() => bakeSql('acme_metrics', "v2' OR 1=1 --", 60)).toThrow();
    expect(() => bakeSql('acme-metrics; DROP', 'v2', 60)).toThrow(FleetError);
  });
});

describe('bake verdicts', () => {
  const at = (requests: number, errors: number, p95: number | null = 100) => ({
    requests,
    status5xx: 0,
    toolCalls: requests,
    toolErrors: errors,
    p95Ms: p95,
  });
  test('a breach is judged as soon as the minimum is reached; healthy and too little traffic only at the end', () => {
    expect(judgeBake(at(9, 9), limits, false)).toBeUndefined();
    expect(judgeBake(at(10, 1), limits, false)?.verdict).toBe('breach');
    expect(judgeBake(at(10, 1), limits, false)?.detail).toContain('error rate 10% > 2%');
    expect(judgeBake(at(100, 2), limits, false)).toBeUndefined();
    expect(judgeBake(at(100, 2), limits, true)?.verdict).toBe('healthy');
    expect(judgeBake(at(100, 3), limits, true)?.verdict).toBe('breach');
    expect(judgeBake(at(100, 0, 801), limits, true)?.detail).toContain('p95 801 ms > 800 ms');
    expect(judgeBake(at(9, 0), limits, true)).toMatchObject({ verdict: 'too-little-traffic' });
  });
});

describe('bake flags', () => {
  test('rates, latencies and durations as people type them', () => {
    expect(parseRate('2%')).toBe(0.02);
    expect(parseRate('0.5')).toBe(0.005);
    expect(parseMilliseconds('800ms')).toBe(800);
    expect(parseMilliseconds('1.5s')).toBe(1500);
    expect(parseBakeLimits({ bake: '5m' }, true)).toEqual({ seconds: 300, maxErrorRate: 0.02, maxP95Ms: undefined, minRequests: 50 });
    expect(parseBakeLimits({}, true)).toBeUndefined();
  });

  test.each([
    [{ bake: '5x' }, '--bake'],
    [{ bake: '1s' }, '--bake'],
    [{ bake: '5m', maxErrorRate: '100%' }, '--max-error-rate'],
    [{ bake: '5m', maxErrorRate: '-1%' }, '--max-error-rate'],
    [{ bake: '5m', maxP95: '0ms' }, '--max-p95'],
    [{ bake: '5m', minRequests: '0' }, '--min-requests'],
    [{ maxP95: '800ms' }, 'needs --bake'],
  ])('%j is bad usage naming its flag (exit 2)', (flags, named) => {
    let error: unknown;
    try {
      parseBakeLimits(flags, true);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).exitCode).toBe(2);
    expect((error as FleetError).message).toContain(named);
  });
});
