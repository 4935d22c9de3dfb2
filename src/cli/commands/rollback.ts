import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { clientsArg, defineCommand } from '../define.js';
import { fleetCommand } from '../fleet-command.js';
import { fleetOptions, negatable, parsed } from '../options.js';

/** A version id, or at least 4 of its first characters (tables print 8). */
function parseVersionId(value: string): string {
  if (!/^[0-9a-f][0-9a-f-]{3,35}$/i.test(value))
    throw usageError(`--to ${value}: not a version id (an id, or its first characters as tables print them, e.g. 76e4be1e)`);
  return value;
}

export const rollback = defineCommand({
  name: 'rollback',
  description:
    'put each client back on the version it ran before (or --to a version); if its secrets changed since, its code goes back up with the current secrets, never the old ones',
  args: [clientsArg()],
  options: {
    ...fleetOptions(DEFAULT_CONCURRENCY.api),
    to: parsed(
      '--to <version-id>',
      'the version to go back to: its id, or the 8 characters tables print (any unique prefix); one client only',
      parseVersionId,
    ),
    verify: negatable('--no-verify', 'skip the check of each worker afterwards'),
  },
  access: 'write',
  run: ({ args, flags, ctx }) => {
    if (flags.to !== undefined && (flags.all || args.clients.length !== 1)) {
      throw usageError(
        '--to names a version of one worker: give exactly one client with it',
        `e.g. ${commandLine('rollback', '<client>', '--to', '<version-id>')}`,
      );
    }
    return fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ rollbackFleet }, { renderRollbackReport }, { rollbackJson }] = await Promise.all([
        import('../../ops/deploy/rollback.js'),
        import('../../ui/rollout-report.js'),
        import('../../ui/json/deploy.js'),
      ]);
      return {
        progress: true,
        run: (onProgress) => rollbackFleet({ ...run, to: flags.to, verify: flags.verify, concurrency: flags.concurrency, onProgress }),
        render: renderRollbackReport,
        json: rollbackJson,
      };
    });
  },
});
