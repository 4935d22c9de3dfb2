import { count, latency } from '../../metrics/rows.js';
import { checkDatasetName, PROBE_BLOB } from '../../metrics/sql.js';

/**
 * The one query a bake sends per client and checkpoint: the new version's own /mcp traffic since
 * the wave went live (blob8 is the version that answered, written by the template's analytics.ts),
 * without mcp-fleet's own checks and without calls the client's rate limit refused (429s say
 * nothing about the version). A failed tool call (double4) answered with a 5xx counts once.
 */

export interface BakeFigures {
  requests: number;
  status5xx: number;
  toolCalls: number;
  toolErrors: number;
  p95Ms: number | null;
}

export function bakeSql(dataset: string, versionId: string | undefined, sinceSeconds: number): string {
  checkDatasetName(dataset);
  if (versionId !== undefined && !/^[A-Za-z0-9_-]+$/.test(versionId)) throw new Error(`not a version id: ${versionId}`);
  const weight = '_sample_interval';
  return [
    'SELECT',
    `  SUM(${weight}) AS requests,`,
    `  sumIf(${weight}, double1 >= 500) AS status_5xx,`,
    `  sumIf(${weight}, double3 = 1) AS tool_calls,`,
    `  sumIf(${weight}, double4 = 1 AND double1 < 500) AS tool_errors,`,
    `  quantileWeighted(0.95, double2, ${weight}) AS p95_ms`,
    `FROM ${dataset}`,
    `WHERE timestamp > NOW() - INTERVAL '${Math.max(1, Math.ceil(sinceSeconds))}' SECOND AND blob2 = '/mcp' AND blob5 != '${PROBE_BLOB}' AND double1 != 429${versionId === undefined ? '' : ` AND blob8 = '${versionId}'`}`,
    'FORMAT JSON',
  ].join('\n');
}

export function readBakeRow(rows: readonly Record<string, unknown>[]): BakeFigures {
  const row = rows[0] ?? {};
  return {
    requests: count(row.requests),
    status5xx: count(row.status_5xx),
    toolCalls: count(row.tool_calls),
    toolErrors: count(row.tool_errors),
    p95Ms: latency(row.p95_ms),
  };
}
