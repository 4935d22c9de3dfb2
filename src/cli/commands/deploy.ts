import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../../ops/defaults.js';
import type { DeployResult } from '../../ops/deploy.js';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, type FleetOp, type FleetRun, fleetCommand } from '../fleet-run.js';
import { addLockOption } from '../project-lock.js';

export function registerDeploy(program: Command): void {
  addFleetOptions(
    addLockOption(program.command('deploy [clients...]'))
      .description("ship the worker to each client with wrangler; code and the client's secrets go up as one version")
      .option('--no-verify', 'skip the check of each worker after it is deployed'),
    DEFAULT_CONCURRENCY.deploy,
  ).action(
    action((names: string[], flags: FleetFlags & { verify: boolean }, cmd: Command) =>
      fleetCommand(cmd, names, flags, 'write', (run) =>
        deployOp(run, parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.deploy), flags.verify),
      ),
    ),
  );
}

/** Deploying the run's clients, as a fleet op (add --deploy runs it too). */
export async function deployOp(run: FleetRun, concurrency: number, verify: boolean): Promise<FleetOp<DeployResult>> {
  const [{ deployFleet }, { renderDeployReport }] = await Promise.all([import('../../ops/deploy.js'), import('../../ui/fleet-report.js')]);
  return {
    progress: true,
    run: (onProgress) => deployFleet({ fleet: run.fleet, clients: run.clients, target: run.target, concurrency, verify, onProgress }),
    render: renderDeployReport,
  };
}
