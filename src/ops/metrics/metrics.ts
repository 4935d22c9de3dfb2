import type { AnalyticsQuery } from '../../cloudflare/analytics-sql.js';
import type { Client } from '../../fleet/fleet.js';
import { usageError } from '../../util/errors.js';
import type { ProgressListener } from '../fleet/progress.js';
import { type ClientOutcome, forEachClient } from '../fleet/runner.js';
import { type MetricsTotals, type RouteMetrics, readMetricsRows, totalsOf } from './rows.js';
import { bucketEdges, type MetricsGrouping, type MetricsWindow, metricsSql } from './sql.js';

/** One client's traffic over the window, from its own Analytics Engine dataset. */
export interface ClientMetrics extends ClientOutcome, MetricsTotals {
  client: string;
  dataset: string | null;
  since: string;
  windowSeconds: number;
  routes: RouteMetrics[];
  /** Requests per bucket over the window, oldest first; `bucketSeconds` wide (about: edges are whole seconds). */
  buckets: number[];
  bucketSeconds: number;
}

export interface MetricsOptions {
  clients: readonly Client[];
  window: MetricsWindow;
  /** Count mcp-fleet's own checks (verify, a deploy's wait) too; by default they are left out. */
  includeProbes?: boolean;
  /** Rows per route (the default) or per caller. */
  by?: MetricsGrouping;
  /** By subject: who each recorded hash is, per client, when mcp-fleet knows (its people and token subjects). */
  subjects?: (client: Client) => Promise<ReadonlyMap<string, string>>;
  query: AnalyticsQuery;
  concurrency: number;
  onProgress?: ProgressListener | undefined;
}

/** Exactly one SQL query per client (per dataset); a client without a dataset fails alone. */
export async function fleetMetrics(options: MetricsOptions): Promise<ClientMetrics[]> {
  const { window } = options;
  const edges = bucketEdges(window);
  return forEachClient<ClientMetrics>({
    clients: options.clients,
    concurrency: options.concurrency,
    onProgress: options.onProgress,
    start: (client) => ({
      client: client.name,
      dataset: client.dataset ?? null,
      since: window.since,
      windowSeconds: window.seconds,
      requests: 0,
      status2xx: 0,
      status4xx: 0,
      status5xx: 0,
      rateLimited: 0,
      toolErrors: 0,
      routes: [],
      buckets: [],
      bucketSeconds: (edges[0] as number) - (edges[1] as number),
    }),
    work: async (client, result, progress) => {
      if (client.dataset === undefined) {
        throw usageError(
          `env.${client.name} binds no Analytics Engine dataset as ANALYTICS`,
          `Add "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "${client.name.replaceAll('-', '_')}_metrics" }] to it and deploy.`,
        );
      }
      progress('working', `querying ${client.dataset}`);
      const sql = metricsSql(client.dataset, window, { includeProbes: options.includeProbes ?? false, by: options.by ?? 'route' });
      const [rows, names] = await Promise.all([
        options.query(sql, `querying ${client.dataset} of ${client.name}`),
        options.by === 'subject' && options.subjects ? options.subjects(client) : Promise.resolve(new Map<string, string>()),
      ]);
      const { routes, counts } = readMetricsRows(rows, window.buckets, names);
      Object.assign(result, totalsOf(routes), { routes, buckets: counts });
      progress('done', `${result.requests} request${result.requests === 1 ? '' : 's'}`);
    },
  });
}
