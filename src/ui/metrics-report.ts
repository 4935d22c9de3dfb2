import pc from 'picocolors';
import type { ClientMetrics } from '../ops/metrics/metrics.js';
import { sparkline } from './sparkline.js';
import { renderTable } from './table.js';

/** The per-client traffic table of `metrics`: a totals row per client, then its routes. */

const ms = (value: number | null): string => (value === null ? '-' : `${value} ms`);

function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function errorsCell(count: number, colour: (text: string) => string): string {
  return count > 0 ? colour(String(count)) : '0';
}

export interface MetricsRenderOptions {
  /** A sparkline of requests over the window per client (at a terminal). */
  sparklines: boolean;
}

export function renderMetricsReport(results: readonly ClientMetrics[], options: MetricsRenderOptions): string {
  const header = [
    'CLIENT',
    'ROUTE',
    'REQUESTS',
    '2XX',
    '4XX',
    '429',
    '5XX',
    'TOOL ERR',
    'P50',
    'P95',
    ...(options.sparklines ? ['TREND'] : []),
  ];
  const rows: string[][] = [];
  for (const result of results) {
    if (result.error) {
      rows.push([pc.red(result.client), pc.red('failed'), '-', '-', '-', '-', '-', '-', '-', '-', ...(options.sparklines ? [''] : [])]);
      continue;
    }
    rows.push([
      pc.bold(result.client),
      result.routes.length === 0 ? pc.dim('no requests') : 'all',
      String(result.requests),
      String(result.status2xx),
      errorsCell(result.status4xx, pc.yellow),
      errorsCell(result.rateLimited, pc.yellow),
      errorsCell(result.status5xx, pc.red),
      errorsCell(result.toolErrors, pc.red),
      '',
      '',
      ...(options.sparklines ? [pc.cyan(sparkline(result.buckets))] : []),
    ]);
    for (const route of result.routes) {
      rows.push([
        '',
        route.route,
        String(route.requests),
        String(route.status2xx),
        errorsCell(route.status4xx, pc.yellow),
        errorsCell(route.rateLimited, pc.yellow),
        errorsCell(route.status5xx, pc.red),
        errorsCell(route.toolErrors, pc.red),
        ms(route.p50Ms),
        ms(route.p95Ms),
        ...(options.sparklines ? [''] : []),
      ]);
    }
  }
  const first = results[0];
  const window = first ? `last ${first.since}` : '';
  const failed = results.filter((result) => result.error).length;
  const lines = [renderTable(header, rows), ''];
  const summary = `${results.length - failed} client${results.length - failed === 1 ? '' : 's'} over the ${window}${
    options.sparklines && first ? ` (trend: ${first.buckets.length || 24} buckets of ${duration(first.bucketSeconds)})` : ''
  }${failed > 0 ? `, ${failed} failed` : ''}; latency percentiles per route, weighted by Analytics Engine's sample interval`;
  lines.push(failed > 0 ? pc.red(summary) : pc.dim(summary));
  return lines.join('\n');
}
