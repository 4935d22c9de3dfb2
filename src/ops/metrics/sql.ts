import { usageError } from '../../util/errors.js';

/**
 * The one Analytics Engine SQL query `metrics` sends per client, and the window it covers. The
 * template worker writes one point per request (templates/project/src/platform/analytics.ts):
 * blob1 client, blob2 route, blob3 method, blob4 MCP revision, blob5 "verify" when mcp-fleet's own
 * checks sent it (left out unless asked for), blob6 how a caller /mcp let in proved who they are
 * (key, oauth, jwt), blob7 a hash of who, blob8 the version that answered; double1 status, double2 ms,
 * double3 1 on a tools/call, double4 1 when that call failed (the bake reads the last three).
 * Every count is weighted by _sample_interval, so sampled datasets still count requests.
 */

export interface MetricsWindow {
  /** As given, e.g. `1h`. */
  since: string;
  seconds: number;
  /** Sparkline buckets over the window, oldest first. */
  buckets: number;
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Analytics Engine keeps data for three months. */
const MAX_SECONDS = 90 * 86_400;
const MAX_BUCKETS = 24;

/** `--since 1h` (s, m, h or d; from 1m to 90d). */
export function parseSince(text: string, buckets = MAX_BUCKETS): MetricsWindow {
  const match = /^\s*(\d+)\s*([smhd])\s*$/i.exec(text);
  const seconds = match ? Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] ?? 0) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 60 || seconds > MAX_SECONDS) {
    throw usageError(`--since ${text}: expected a duration from 1m to 90d`, 'Write it as a number and a unit: 90s, 15m, 1h, 7d.');
  }
  return { since: text.trim(), seconds, buckets: Math.min(buckets, seconds) };
}

/** Bucket edges as ages (seconds before now), oldest first: bucket i holds the points aged [edge[i+1], edge[i]). */
export function bucketEdges(window: MetricsWindow): number[] {
  const edges: number[] = [];
  for (let i = 0; i <= window.buckets; i++) edges.push(Math.round((window.seconds * (window.buckets - i)) / window.buckets));
  return edges;
}

/** Dataset names go into the SQL text: only a plain identifier is sent. */
export function checkDatasetName(dataset: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dataset)) {
    throw usageError(`dataset "${dataset}" is not a plain name (letters, digits, underscores)`, 'Rename it in wrangler.jsonc.');
  }
}

const ago = (seconds: number) => `NOW() - INTERVAL '${seconds}' SECOND`;

/** What blob5 holds on the points of mcp-fleet's own checks (see probe-agent.ts). */
export const PROBE_BLOB = 'verify';

/**
 * One row per route: requests, 2xx, 4xx, 5xx, p50 and p95 latency, 429s (rate-limited), and the requests of each
 * sparkline bucket as columns b0…bN (conditional sums: Analytics Engine has no arrays to return).
 * mcp-fleet's own checks are left out unless `includeProbes`.
 */
export type MetricsGrouping = 'route' | 'subject';

export function metricsSql(
  dataset: string,
  window: MetricsWindow,
  options: { includeProbes?: boolean; by?: MetricsGrouping } = {},
): string {
  // By subject: the calls /mcp let in, per caller (blob7, a hash of who) and how they got in (blob6).
  const bySubject = options.by === 'subject';
  checkDatasetName(dataset);
  const edges = bucketEdges(window);
  const weight = '_sample_interval';
  const buckets = edges.slice(0, -1).map((from, i) => {
    const to = edges[i + 1] as number;
    // The oldest bucket's lower bound is the WHERE clause's; the newest has no upper bound, so a
    // point stamped a little in the future still counts somewhere.
    const conditions = [...(i === 0 ? [] : [`timestamp > ${ago(from)}`]), ...(to === 0 ? [] : [`timestamp <= ${ago(to)}`])];
    const condition = conditions.length === 0 ? '1 = 1' : conditions.join(' AND ');
    return `sumIf(${weight}, ${condition}) AS b${i}`;
  });
  return [
    'SELECT',
    ...(bySubject ? ['  blob7 AS subject,', '  blob6 AS via,'] : ['  blob2 AS route,']),
    `  SUM(${weight}) AS requests,`,
    `  sumIf(${weight}, double1 >= 200 AND double1 < 300) AS status_2xx,`,
    `  sumIf(${weight}, double1 >= 400 AND double1 < 500) AS status_4xx,`,
    `  sumIf(${weight}, double1 >= 500) AS status_5xx,`,
    `  quantileWeighted(0.5, double2, ${weight}) AS p50_ms,`,
    `  quantileWeighted(0.95, double2, ${weight}) AS p95_ms,`,
    // Refused by the client's rate limit (the template's only 429).
    `  sumIf(${weight}, double1 = 429) AS rate_limited,`,
    // Tool calls that failed (the tool's isError or a JSON-RPC error): a 200 to every status column.
    `  sumIf(${weight}, double4 = 1) AS tool_errors,`,
    ...buckets.map((line, i) => `  ${line}${i === buckets.length - 1 ? '' : ','}`),
    `FROM ${dataset}`,
    `WHERE timestamp > ${ago(window.seconds)}${options.includeProbes ? '' : ` AND blob5 != '${PROBE_BLOB}'`}${bySubject ? ` AND blob7 != ''` : ''}`,
    bySubject ? 'GROUP BY subject, via' : 'GROUP BY route',
    'FORMAT JSON',
  ].join('\n');
}
