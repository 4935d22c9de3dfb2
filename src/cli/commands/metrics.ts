import { DEFAULT_CONCURRENCY, DEFAULT_METRICS_SINCE } from '../../ops/fleet/defaults.js';
import { clientsArg, defineCommand } from '../define.js';
import { fleetCommand } from '../fleet-command.js';
import { choice, flag, fleetOptions, textWithDefault } from '../options.js';

export const metrics = defineCommand({
  name: 'metrics',
  description: "clients' traffic from their Analytics Engine datasets: requests, 2xx/4xx/5xx, p50 and p95 latency by route",
  args: [clientsArg('clients to report on (or --all)')],
  options: {
    ...fleetOptions(DEFAULT_CONCURRENCY.metrics),
    since: textWithDefault('--since <duration>', 'the window up to now, from 1m to 90d: 15m, 1h, 7d', DEFAULT_METRICS_SINCE),
    by: choice(
      '--by <grouping>',
      'rows per route, or per subject: each caller /mcp let in, with how they got in (the person when mcp-fleet knows them: 1 more API call per mode)',
      ['route', 'subject'] as const,
      'route',
    ),
    includeProbes: flag(
      '--include-probes',
      "count mcp-fleet's own checks too (verify, a deploy's wait for the new version); by default they are left out",
    ),
  },
  examples: [
    { args: 'metrics --all --since 1h', what: "every client's traffic over the last hour" },
    { args: 'metrics acme --local', what: "acme's traffic on the local edge over the default window" },
    { args: 'metrics acme --by subject --since 7d', what: 'who called acme this week, and how they signed in' },
  ],
  access: 'read',
  run: async ({ args, flags, ctx }) => {
    const { parseSince } = await import('../../ops/metrics/sql.js');
    const window = parseSince(flags.since);
    return fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ fleetMetrics }, { createAnalyticsQuery }, { renderMetricsReport }, { metricsJson }] = await Promise.all([
        import('../../ops/metrics/metrics.js'),
        import('../../cloudflare/analytics-sql.js'),
        import('../../ui/metrics-report.js'),
        import('../../ui/json/metrics.js'),
      ]);
      const query = createAnalyticsQuery(run.target);
      // By subject, the people and token subjects mcp-fleet knows name the hashes the workers recorded.
      const [{ knownSubjects }, { createKvApi }] = await Promise.all([
        import('../../ops/metrics/subjects.js'),
        import('../../cloudflare/kv.js'),
      ]);
      const kv = flags.by === 'subject' ? createKvApi(run.target) : undefined;
      const subjects = kv ? (client: Parameters<typeof knownSubjects>[0]) => knownSubjects(client, kv) : undefined;
      // The trend needs a terminal; pipes and --json get the numbers (and the buckets in --json).
      const sparklines = Boolean(process.stdout.isTTY) && !ctx.json;
      return {
        run: (onProgress) =>
          fleetMetrics({
            clients: run.clients,
            window,
            includeProbes: flags.includeProbes,
            by: flags.by,
            ...(subjects ? { subjects } : {}),
            query,
            concurrency: flags.concurrency,
            onProgress,
          }),
        progress: false,
        render: (results) => renderMetricsReport(results, { sparklines }),
        json: metricsJson,
      };
    });
  },
});
