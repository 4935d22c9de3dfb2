import type { Command } from 'commander';
import { usageError } from '../../util/errors.js';
import { action } from '../action.js';
import { commandContext } from '../context.js';
import { addLockOption, withProjectLock } from '../project-lock.js';

export function registerRemove(program: Command): void {
  addLockOption(program.command('remove <client>'))
    .description('offboard a client: drop its env section, keep its secrets file in .mcp-fleet/removed/')
    .option('--delete-worker', "delete the client's worker on Cloudflare too (first, so a failure changes nothing locally)")
    .option('--local', 'with --delete-worker: delete it on the local edge')
    .action(
      action(async (client: string, flags: { deleteWorker?: boolean; local?: boolean; wait?: boolean }, cmd: Command) => {
        const ctx = commandContext(cmd);
        return withProjectLock(cmd, ctx, flags, async () => {
          const [{ findClient, loadFleet }, { removeClient }, { confirm }, { removeJson }] = await Promise.all([
            import('../../fleet/fleet.js'),
            import('../../ops/project/remove.js'),
            import('../../ui/prompts.js'),
            import('../../ui/json/project.js'),
          ]);
          const fleet = await loadFleet(ctx.cwd);
          if (findClient(fleet, client) && !ctx.yes) {
            if (!ctx.output.interactive)
              throw usageError(`removing ${client} needs confirmation`, 'Pass --yes to confirm without a prompt.');
            const what = flags.deleteWorker
              ? `Delete worker ${findClient(fleet, client)?.workerName ?? client}${flags.local ? ' on the local edge' : ''} and remove ${client}`
              : `Remove ${client}`;
            if (!(await confirm(`${what} from ${fleet.configPath}?`))) throw usageError('not confirmed; nothing was changed');
          }
          const worker = flags.deleteWorker
            ? await (await import('../../ops/project/delete-worker.js')).deleteClientWorker(fleet, client, Boolean(flags.local))
            : undefined;
          if (worker)
            ctx.output.success(
              worker.outcome === 'deleted' ? `deleted worker ${worker.worker}` : `worker ${worker.worker} did not exist; nothing to delete`,
            );
          const result = await removeClient(fleet, client);
          ctx.output.result(removeJson(result, worker));
          ctx.output.success(
            result.configChanged
              ? `removed ${client} from ${fleet.configPath}`
              : `${client} is no longer a client; the top-level worker's settings in ${fleet.configPath} were left as they are`,
          );
          if (result.secretsKeptAt) ctx.output.info(`  secrets kept at ${result.secretsKeptAt} (restore by moving it back)`);
        });
      }),
    );
}
