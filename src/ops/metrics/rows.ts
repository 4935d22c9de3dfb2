/**
 * Reading the rows of the metrics query (sql.ts). Analytics Engine answers in ClickHouse's JSON
 * format, where 64-bit integers (the weighted counts) arrive as strings and an empty quantile as
 * null or "nan": every value is read leniently, a count as 0 and a latency as null when absent.
 */

export interface RouteMetrics {
  /** The route; by subject, `<via> <who>` (the person when known, else the hash the worker recorded). */
  route: string;
  /** By subject: the hash the worker recorded, how they got in, and who it is when mcp-fleet knows. */
  subjectHash?: string;
  via?: string;
  subject?: string | null;
  requests: number;
  status2xx: number;
  status4xx: number;
  status5xx: number;
  /** Of the 4xx, the calls the client's rate limit refused (429). */
  rateLimited: number;
  /** Tool calls that failed (isError or a JSON-RPC error), whatever their status. */
  toolErrors: number;
  /** Latency percentiles in milliseconds over the window; null without requests. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface MetricsTotals {
  requests: number;
  status2xx: number;
  status4xx: number;
  status5xx: number;
  rateLimited: number;
  toolErrors: number;
}

function numberOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

/** A weighted count as Analytics Engine returns it (a number or a string), 0 when absent. */
export const count = (value: unknown): number => Math.round(numberOf(value) ?? 0);
/** A latency in ms to one decimal, null when absent (no requests). */
export const latency = (value: unknown): number | null => {
  const n = numberOf(value);
  return n === null ? null : Math.round(n * 10) / 10;
};

/** Routes (most requests first) and the requests of each bucket, summed over routes. */
export function readMetricsRows(
  rows: readonly Record<string, unknown>[],
  buckets: number,
  names: ReadonlyMap<string, string> = new Map(),
): { routes: RouteMetrics[]; counts: number[] } {
  const counts = new Array<number>(buckets).fill(0);
  const routes = rows.map((row): RouteMetrics => {
    for (let i = 0; i < buckets; i++) counts[i] = (counts[i] as number) + count(row[`b${i}`]);
    const hash = typeof row.subject === 'string' ? row.subject : undefined;
    const via = typeof row.via === 'string' ? row.via : '';
    const who = hash === undefined ? undefined : (names.get(hash) ?? null);
    return {
      route: hash !== undefined ? `${via} ${who ?? hash}` : typeof row.route === 'string' && row.route !== '' ? row.route : '(none)',
      ...(hash === undefined ? {} : { subjectHash: hash, via, subject: who ?? null }),
      requests: count(row.requests),
      status2xx: count(row.status_2xx),
      status4xx: count(row.status_4xx),
      status5xx: count(row.status_5xx),
      rateLimited: count(row.rate_limited),
      toolErrors: count(row.tool_errors),
      p50Ms: latency(row.p50_ms),
      p95Ms: latency(row.p95_ms),
    };
  });
  routes.sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
  return { routes, counts };
}

export function totalsOf(routes: readonly RouteMetrics[]): MetricsTotals {
  return routes.reduce(
    (sum, r) => ({
      requests: sum.requests + r.requests,
      status2xx: sum.status2xx + r.status2xx,
      status4xx: sum.status4xx + r.status4xx,
      status5xx: sum.status5xx + r.status5xx,
      rateLimited: sum.rateLimited + r.rateLimited,
      toolErrors: sum.toolErrors + r.toolErrors,
    }),
    { requests: 0, status2xx: 0, status4xx: 0, status5xx: 0, rateLimited: 0, toolErrors: 0 },
  );
}
