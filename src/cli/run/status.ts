import { CAPACITY_WARNING_SHARE } from '../../ops/fleet/defaults.js';
import type { ClientStatus } from '../../ops/status/status.js';
import type { StatusJson } from '../../ui/json/status.js';
import type { ExitCode } from '../../util/errors.js';
import type { CommandContext } from '../define.js';
import { type FleetFlags, prepareFleetRun, runFleetOp } from '../fleet-command.js';

export interface StatusRequest extends FleetFlags {
  clients: string[];
  concurrency: number;
  verify: boolean;
  workersLimit: number;
}

/** A label no client can have (client names have no spaces). */
const BUILD_LINE = 'local build';

/** `status`: read-only, so it never waits for the project lock (a deploy may hold it; status then shows what runs meanwhile). */
export async function runStatus(ctx: CommandContext, request: StatusRequest): Promise<ExitCode> {
  const run = await prepareFleetRun(ctx, request.clients, request);
  const [{ fleetStatus }, { statusExitCode }, { createWorkersApi }, { createVersionReads }, { createSecretsApi }, report] =
    await Promise.all([
      import('../../ops/status/status.js'),
      import('../../ops/fleet/client-failure.js'),
      import('../../cloudflare/workers-api.js'),
      import('../../cloudflare/version-reads.js'),
      import('../../cloudflare/api.js'),
      import('../../ui/status-report.js'),
    ]);
  const [{ statusJson }, { createFleetProgress }] = await Promise.all([
    import('../../ui/json/status.js'),
    import('../../ui/fleet-progress.js'),
  ]);
  let status: Awaited<ReturnType<typeof fleetStatus>> | undefined;
  const outcome = await runFleetOp<ClientStatus, StatusJson>(run, {
    // Its own display: a line for the local build (seconds cold) above the clients' (stderr; never in the document).
    progress: false,
    run: async () => {
      const display = createFleetProgress(ctx.output, [BUILD_LINE, ...run.clients.map((client) => client.name)]);
      try {
        status = await fleetStatus({
          fleet: run.fleet,
          clients: run.clients,
          reads: { workers: createWorkersApi(run.target), versions: createVersionReads(run.target) },
          secretsApi: createSecretsApi(run.target),
          concurrency: request.concurrency,
          workersLimit: request.workersLimit,
          warnShare: CAPACITY_WARNING_SHARE,
          verify: request.verify ? { target: run.target } : undefined,
          unconfigured: request.all,
          onProgress: display.update,
          onBuild: (phase, detail) => display.update(BUILD_LINE, phase, detail),
        });
      } finally {
        display.stop();
      }
      return status.clients;
    },
    render: () => (status ? report.renderFleetStatus(status, { verify: request.verify }) : ''),
    // The account's capacity and the local build are the run's, not a client's.
    json: (clients, ok) =>
      statusJson(
        { clients: [...clients], bundles: status?.bundles ?? [], capacity: status?.capacity, notInConfig: status?.notInConfig },
        ok,
      ),
    exitCode: statusExitCode,
  });
  ctx.output.result(outcome.json);
  return outcome.exitCode;
}
