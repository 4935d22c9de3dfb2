import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { usageError } from '../../util/errors.js';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, fleetCommand } from '../fleet-run.js';
import { addLockOption } from '../project-lock.js';

interface RollbackFlags extends FleetFlags {
  to?: string;
  verify: boolean;
}

export function registerRollback(program: Command): void {
  addFleetOptions(
    addLockOption(program.command('rollback [clients...]'))
      .description(
        'put each client back on the version it ran before (or --to a version); if its secrets changed since, its code goes back up with the current secrets, never the old ones',
      )
      .option('--to <version-id>', 'the version to go back to (one client only)')
      .option('--no-verify', 'skip the check of each worker afterwards'),
    DEFAULT_CONCURRENCY.api,
  ).action(
    action((names: string[], flags: RollbackFlags, cmd: Command) => {
      const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.api);
      if (flags.to !== undefined && (flags.all || names.length !== 1)) {
        throw usageError(
          '--to names a version of one worker: give exactly one client with it',
          'e.g. mcp-fleet rollback acme --to <version-id>',
        );
      }
      if (flags.to !== undefined && !/^[0-9a-f-]{8,64}$/i.test(flags.to)) throw usageError(`--to ${flags.to}: not a version id`);
      return fleetCommand(cmd, names, flags, 'write', async (run) => {
        const [{ rollbackFleet }, { renderRollbackReport }, { rollbackJson }] = await Promise.all([
          import('../../ops/deploy/rollback.js'),
          import('../../ui/rollout-report.js'),
          import('../../ui/json/deploy.js'),
        ]);
        return {
          progress: true,
          run: (onProgress) =>
            rollbackFleet({
              fleet: run.fleet,
              clients: run.clients,
              target: run.target,
              to: flags.to,
              verify: flags.verify,
              concurrency,
              onProgress,
            }),
          render: renderRollbackReport,
          json: rollbackJson,
        };
      });
    }),
  );
}
