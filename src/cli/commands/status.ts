import type { Command } from 'commander';
import { CAPACITY_WARNING_SHARE, DEFAULT_CONCURRENCY, DEFAULT_WORKERS_LIMIT } from '../../ops/fleet/defaults.js';
import type { ClientStatus } from '../../ops/status/status.js';
import type { ExitCode } from '../../util/errors.js';
import { usageError } from '../../util/errors.js';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, prepareFleetRun, runFleetOp } from '../fleet-run.js';

interface StatusFlags extends FleetFlags {
  verify?: boolean;
  workersLimit?: string;
}

export function registerStatus(program: Command): void {
  const command = program
    .command('status')
    .description(
      "each client's worker against the project: deployed version, whether it runs the current local build, traffic split, secrets by name, compatibility date; exit 1 on any drift",
    )
    .argument('[clients...]', 'clients to report on')
    .option('--verify', "also run verify's checks against each worker")
    .option('--workers-limit <n>', `workers the account may hold (default: ${DEFAULT_WORKERS_LIMIT}, Workers Paid; 100 on Workers Free)`);
  addFleetOptions(command, DEFAULT_CONCURRENCY.api).action(
    action(async (names: string[], flags: StatusFlags, cmd: Command): Promise<ExitCode> => {
      const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.api);
      const workersLimit = parseWorkersLimit(flags.workersLimit);
      // Read-only: never waits for the project lock (a deploy may hold it; status then shows what runs meanwhile).
      const run = await prepareFleetRun(cmd, names, flags);
      const [{ fleetStatus }, { statusExitCode }, { createWorkersApi }, { createVersionReads }, { createSecretsApi }, report] =
        await Promise.all([
          import('../../ops/status/status.js'),
          import('../../ops/status/drift.js'),
          import('../../cloudflare/workers-api.js'),
          import('../../cloudflare/version-reads.js'),
          import('../../cloudflare/api.js'),
          import('../../ui/status-report.js'),
        ]);
      let status: Awaited<ReturnType<typeof fleetStatus>> | undefined;
      const outcome = await runFleetOp<ClientStatus>(run, {
        progress: false,
        run: async (onProgress) => {
          status = await fleetStatus({
            fleet: run.fleet,
            clients: run.clients,
            reads: { workers: createWorkersApi(run.target), versions: createVersionReads(run.target) },
            secretsApi: createSecretsApi(run.target),
            concurrency,
            workersLimit,
            warnShare: CAPACITY_WARNING_SHARE,
            verify: flags.verify ? { target: run.target } : undefined,
            onProgress,
          });
          return status.clients;
        },
        render: () => (status ? report.renderFleetStatus(status, { verify: Boolean(flags.verify) }) : ''),
        exitCode: statusExitCode,
      });
      if (status) run.ctx.output.result(report.fleetStatusJson(status, outcome.exitCode === 0));
      return outcome.exitCode;
    }),
  );
}

function parseWorkersLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WORKERS_LIMIT;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw usageError(`--workers-limit ${value}: expected a whole number of workers, e.g. 500 (Workers Paid) or 100 (Workers Free)`);
  }
  return n;
}
