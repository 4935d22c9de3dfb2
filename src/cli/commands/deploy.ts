import type { Command } from 'commander';
import { addFleetOptions, parseConcurrency, prepareFleetRun, type FleetFlags } from './secrets.js';

/** Mirrors ops/deploy.ts DEFAULT_DEPLOY_CONCURRENCY (not imported: the ops load only when the command runs). */
const DEFAULT_DEPLOY_CONCURRENCY = 4;

export function registerDeploy(program: Command): void {
  addFleetOptions(
    program
      .command('deploy [clients...]')
      .description('ship the worker to each client with wrangler; code and the client\'s secrets go up as one version')
      .option('--no-verify', 'skip the check of each worker after it is deployed'),
    DEFAULT_DEPLOY_CONCURRENCY,
  ).action(async (names: string[], flags: FleetFlags & { verify: boolean }, cmd: Command) => {
    const run = await prepareFleetRun(cmd, names, flags);
    const [{ deployFleet }, { fleetExitCode }, { createFleetProgress }, { fleetJson, renderDeployReport }] = await Promise.all([
      import('../../ops/deploy.js'),
      import('../../ops/client-secrets.js'),
      import('../../ui/fleet-progress.js'),
      import('../../ui/fleet-report.js'),
    ]);
    const started = Date.now();
    const progress = createFleetProgress(run.ctx.output, run.clients.map((client) => client.name));
    const results = await deployFleet({
      fleet: run.fleet,
      clients: run.clients,
      target: run.target,
      concurrency: parseConcurrency(flags.concurrency, DEFAULT_DEPLOY_CONCURRENCY),
      verify: flags.verify,
      onProgress: progress.update,
    }).finally(() => progress.stop());
    run.ctx.output.result(fleetJson(results));
    run.ctx.output.info(renderDeployReport(results, Date.now() - started));
    process.exitCode = fleetExitCode(results.map((result) => result.error));
  });
}
