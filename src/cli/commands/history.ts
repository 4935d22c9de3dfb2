import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { clientsArg, defineCommand } from '../define.js';
import { fleetCommand } from '../fleet-command.js';
import { fleetOptions } from '../options.js';

export const history = defineCommand({
  name: 'history',
  description:
    "each client's deployments and versions, newest first: when, which versions at what percentages, what made them (deploy, rollback, secrets change, rotation), the bundle they run; 2 API calls per client",
  args: [clientsArg('clients whose history to show (or --all)')],
  options: fleetOptions(DEFAULT_CONCURRENCY.api),
  access: 'read',
  run: ({ args, flags, ctx }) =>
    fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ fleetHistory }, { createWorkersApi }, { createVersionReads }, { renderHistoryReport }, { historyJson }] = await Promise.all([
        import('../../ops/history/history.js'),
        import('../../cloudflare/workers-api.js'),
        import('../../cloudflare/version-reads.js'),
        import('../../ui/history-report.js'),
        import('../../ui/json/history.js'),
      ]);
      return {
        progress: false,
        run: (onProgress) =>
          fleetHistory({
            fleet: run.fleet,
            clients: run.clients,
            reads: { workers: createWorkersApi(run.target), versions: createVersionReads(run.target) },
            concurrency: flags.concurrency,
            onProgress,
          }),
        render: (results) => renderHistoryReport(results),
        json: historyJson,
      };
    }),
});
