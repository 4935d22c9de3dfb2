import type { Command } from 'commander';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, type FleetRun, prepareFleetRun, withFleetProgress } from '../fleet-run.js';

/** Mirrors ops/deploy.ts DEFAULT_DEPLOY_CONCURRENCY (not imported: the ops load only when the command runs). */
const DEFAULT_DEPLOY_CONCURRENCY = 4;

export function registerDeploy(program: Command): void {
  addFleetOptions(
    program
      .command('deploy [clients...]')
      .description("ship the worker to each client with wrangler; code and the client's secrets go up as one version")
      .option('--no-verify', 'skip the check of each worker after it is deployed'),
    DEFAULT_DEPLOY_CONCURRENCY,
  ).action(
    action(async (names: string[], flags: FleetFlags & { verify: boolean }, cmd: Command) => {
      const run = await prepareFleetRun(cmd, names, flags);
      const outcome = await deployAndReport(run, parseConcurrency(flags.concurrency, DEFAULT_DEPLOY_CONCURRENCY), flags.verify);
      run.ctx.output.result(outcome.json);
      process.exitCode = outcome.exitCode;
    }),
  );
}

/** Deploys the run's clients with live progress and prints the report; the caller prints the JSON. */
export async function deployAndReport(run: FleetRun, concurrency: number, verify: boolean): Promise<{ exitCode: number; json: unknown }> {
  const [{ deployFleet }, { fleetExitCode }, { fleetJson, renderDeployReport }] = await Promise.all([
    import('../../ops/deploy.js'),
    import('../../ops/client-secrets.js'),
    import('../../ui/fleet-report.js'),
  ]);
  const started = Date.now();
  const results = await withFleetProgress(run, (onProgress) =>
    deployFleet({ fleet: run.fleet, clients: run.clients, target: run.target, concurrency, verify, onProgress }),
  );
  run.ctx.output.info(renderDeployReport(results, Date.now() - started));
  return { exitCode: fleetExitCode(results.map((result) => result.error)), json: fleetJson(results) };
}
