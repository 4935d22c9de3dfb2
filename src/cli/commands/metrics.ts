import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY, DEFAULT_METRICS_SINCE } from '../../ops/fleet/defaults.js';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, fleetCommand } from '../fleet-run.js';

interface MetricsFlags extends FleetFlags {
  since: string;
}

export function registerMetrics(program: Command): void {
  const command = program
    .command('metrics')
    .description("clients' traffic from their Analytics Engine datasets: requests, 2xx/4xx/5xx, p50 and p95 latency by route")
    .argument('[clients...]', 'clients to report on')
    .option('--since <duration>', 'the window up to now, from 1m to 90d: 15m, 1h, 7d', DEFAULT_METRICS_SINCE);
  addFleetOptions(command, DEFAULT_CONCURRENCY.metrics).action(
    action(async (names: string[], flags: MetricsFlags, cmd: Command) => {
      const { parseSince } = await import('../../ops/metrics/sql.js');
      const window = parseSince(flags.since);
      const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.metrics);
      return fleetCommand(cmd, names, flags, 'read', async (run) => {
        const [{ fleetMetrics }, { createAnalyticsQuery }, { renderMetricsReport }, { metricsJson }] = await Promise.all([
          import('../../ops/metrics/metrics.js'),
          import('../../cloudflare/analytics-sql.js'),
          import('../../ui/metrics-report.js'),
          import('../../ui/json/metrics.js'),
        ]);
        const query = createAnalyticsQuery(run.target);
        // The trend needs a terminal; pipes and --json get the numbers (and the buckets in --json).
        const sparklines = Boolean(process.stdout.isTTY) && !run.ctx.json;
        return {
          run: (onProgress) => fleetMetrics({ clients: run.clients, window, query, concurrency, onProgress }),
          progress: false,
          render: (results) => renderMetricsReport(results, { sparklines }),
          json: metricsJson,
        };
      });
    }),
  );
}
