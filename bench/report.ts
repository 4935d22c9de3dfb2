/**
 * Pure code of the benchmark: statistics, rows, the printed table and the JSON document.
 * No processes, no files, no clock.
 */

import type { Options } from './options.js';

export type Unit = 'ms' | 'KB';

/** One side (the baseline or mcp-fleet) of a row. */
export interface Side {
  /** What was run, e.g. `wrangler deploy --env <client>, clients in sequence`. */
  label: string;
  /** One value per successful run (ms or KB). */
  samples: number[];
  /** Runs attempted (failed ones have no sample). */
  attempted: number;
  /** Why runs failed, or why the side was not run ("not available: …"). */
  failures: string[];
  /** Median API requests per client over the runs, from the edge's request log (undefined: not counted). */
  apiPerClient?: number | undefined;
  /** Median API requests per run naming no client's script (account-level calls). */
  apiUnattributed?: number | undefined;
  /** Median per run of the edge's time answering API calls (sum over calls, injected latency included), ms. */
  apiMs?: number | undefined;
}

export interface Row {
  id: string;
  operation: string;
  unit: Unit;
  baseline: Side;
  fleet: Side;
  note?: string | undefined;
  /** For fleet-wide operations: the clients, so time per client is reported too. */
  clients?: number | undefined;
}

export interface RowSummary {
  id: string;
  operation: string;
  baseline: string;
  unit: Unit;
  runs: { baseline: number; fleet: number };
  baselineMedian: number | null;
  fleetMedian: number | null;
  /** baseline median / mcp-fleet median; above 1 means mcp-fleet is faster (or smaller). */
  ratio: number | null;
  apiRequestsPerClient: { baseline: number | null; fleet: number | null };
  apiRequestsUnattributed: { baseline: number | null; fleet: number | null };
  /** Sum of the edge's answer times for the API calls of one run (median over runs), ms: the part of the time spent in the API. */
  apiTimeMs: { baseline: number | null; fleet: number | null };
  samples: { baseline: number[]; fleet: number[] };
  /** Median time per client (ms), for fleet-wide operations. */
  perClientMs: { baseline: number | null; fleet: number | null } | null;
  status: 'ok' | 'partial' | 'failed' | 'not available';
  failures: { baseline: string[]; fleet: string[] };
  note: string | null;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ratio(baseline: number | undefined, fleet: number | undefined): number | undefined {
  if (baseline === undefined || fleet === undefined || fleet <= 0) return undefined;
  return baseline / fleet;
}

export function notAvailable(label: string, reason: string): Side {
  return { label, samples: [], attempted: 0, failures: [`not available: ${reason}`] };
}

function sideStatus(side: Side): 'ok' | 'partial' | 'failed' | 'not available' {
  if (side.attempted === 0) return 'not available';
  if (side.samples.length === 0) return 'failed';
  return side.samples.length < side.attempted ? 'partial' : 'ok';
}

export function summarize(row: Row): RowSummary {
  const baselineMedian = median(row.baseline.samples);
  const fleetMedian = median(row.fleet.samples);
  const statuses = [sideStatus(row.baseline), sideStatus(row.fleet)];
  const status = statuses.includes('not available')
    ? 'not available'
    : statuses.includes('failed')
      ? 'failed'
      : statuses.includes('partial')
        ? 'partial'
        : 'ok';
  const round = (value: number | undefined, digits: number) => (value === undefined ? null : Number(value.toFixed(digits)));
  return {
    id: row.id,
    operation: row.operation,
    baseline: row.baseline.label,
    unit: row.unit,
    runs: { baseline: row.baseline.samples.length, fleet: row.fleet.samples.length },
    baselineMedian: round(baselineMedian, row.unit === 'ms' ? 1 : 0),
    fleetMedian: round(fleetMedian, row.unit === 'ms' ? 1 : 0),
    ratio: round(ratio(baselineMedian, fleetMedian), 2),
    apiRequestsPerClient: { baseline: row.baseline.apiPerClient ?? null, fleet: row.fleet.apiPerClient ?? null },
    apiRequestsUnattributed: { baseline: row.baseline.apiUnattributed ?? null, fleet: row.fleet.apiUnattributed ?? null },
    apiTimeMs: { baseline: round(row.baseline.apiMs, 0), fleet: round(row.fleet.apiMs, 0) },
    samples: {
      baseline: row.baseline.samples.map((value) => Number(value.toFixed(1))),
      fleet: row.fleet.samples.map((value) => Number(value.toFixed(1))),
    },
    perClientMs: row.clients
      ? {
          baseline: round(baselineMedian === undefined ? undefined : baselineMedian / row.clients, 0),
          fleet: round(fleetMedian === undefined ? undefined : fleetMedian / row.clients, 0),
        }
      : null,
    status,
    failures: { baseline: row.baseline.failures, fleet: row.fleet.failures },
    note: row.note ?? null,
  };
}

export function formatQuantity(value: number | null, unit: Unit): string {
  if (value === null) return '—';
  if (unit === 'KB') return value >= 10_240 ? `${(value / 1024).toFixed(0)} MB` : `${value.toFixed(0)} KB`;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1_000) return `${(value / 1000).toFixed(2)} s`;
  return `${value.toFixed(0)} ms`;
}

function formatRatio(summary: RowSummary): string {
  if (summary.ratio !== null) return `${summary.ratio >= 10 ? summary.ratio.toFixed(1) : summary.ratio.toFixed(2)}×`;
  return summary.status === 'ok' ? '—' : summary.status;
}

function formatApi(summary: RowSummary): string {
  const { baseline, fleet } = summary.apiRequestsPerClient;
  if (baseline === null && fleet === null) return '';
  const show = (value: number | null) => (value === null ? '—' : String(value));
  return `${show(baseline)} / ${show(fleet)}`;
}

export const TABLE_HEADERS = [
  'operation',
  'baseline',
  'runs b/f',
  'baseline median',
  'mcp-fleet median',
  'ratio',
  'API req/client b/f',
] as const;

export function tableCells(summary: RowSummary): string[] {
  return [
    summary.operation,
    summary.baseline,
    `${summary.runs.baseline}/${summary.runs.fleet}`,
    formatQuantity(summary.baselineMedian, summary.unit),
    formatQuantity(summary.fleetMedian, summary.unit),
    formatRatio(summary),
    formatApi(summary),
  ];
}

/** A plain-text table; numeric columns right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly string[][], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (rightAligned.has(index) ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function renderReport(summaries: readonly RowSummary[]): string {
  const table = formatTable(TABLE_HEADERS, summaries.map(tableCells), new Set([2, 3, 4, 5, 6]));
  const notes: string[] = [];
  for (const summary of summaries) {
    for (const [side, failures] of [
      ['baseline', summary.failures.baseline],
      ['mcp-fleet', summary.failures.fleet],
    ] as const) {
      for (const failure of failures) notes.push(`  ${summary.operation} (${side}): ${failure}`);
    }
  }
  return notes.length ? `${table}\n\nNot measured or failed:\n${notes.join('\n')}` : table;
}

/** The run's settings as given (baselineClients: the wrangler loop's time is scaled to all clients when fewer). */
type BenchSettings = Pick<Options, 'clients' | 'latencyMs' | 'runs' | 'slowRuns' | 'deployRuns' | 'baselineClients' | 'startupRuns'>;

export interface BenchMeta extends BenchSettings {
  date: string;
  secretsPerClient: number;
  node: string;
  platform: string;
  cpus: number;
  loadAverageAtStart: number[];
  wranglerVersion: string | null;
  httpChecks: 'curl' | 'node-fetch';
  memoryMethod: string;
  totalMs: number;
  /** Wall time of each phase of the bench (setup, warm-up, each group), ms. */
  phasesMs: Record<string, number>;
  notes: string[];
}

export function resultsDocument(meta: BenchMeta, summaries: readonly RowSummary[]): { meta: BenchMeta; rows: RowSummary[] } {
  return { meta, rows: [...summaries] };
}
