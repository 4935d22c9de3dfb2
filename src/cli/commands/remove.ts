import { defineCommand, requiredArg } from '../define.js';
import { flag, targetOptions, yes } from '../options.js';

export const remove = defineCommand({
  name: 'remove',
  description: 'offboard a client: drop its env section, keep its secrets file in .mcp-fleet/removed/',
  args: [requiredArg('client', 'the client to offboard')],
  options: {
    deleteWorker: flag('--delete-worker', "delete the client's worker on Cloudflare too (first, so a failure changes nothing locally)"),
    ...targetOptions,
    yes: yes('confirm without a prompt'),
  },
  access: 'write',
  run: async ({ args, flags, ctx }) => {
    const [{ findClient, loadFleet }, { removeClient }, { deleteClientWorker }, { confirm }, { renderRemove }, { usageError }] =
      await Promise.all([
        import('../../fleet/fleet.js'),
        import('../../ops/project/remove.js'),
        import('../../ops/project/delete-worker.js'),
        import('../../ui/prompts.js'),
        import('../../ui/project-report.js'),
        import('../../util/errors.js'),
      ]);
    const { resolveFleetTarget } = await import('../fleet-command.js');
    const fleet = await loadFleet(ctx.cwd);
    const found = findClient(fleet, args.client);
    const choice = flags.deleteWorker
      ? await (await import('../../cloudflare/target-choice.js')).chooseTarget(fleet.dir, flags)
      : undefined;
    if (found && !flags.yes) {
      if (!ctx.output.interactive)
        throw usageError(`removing ${args.client} needs confirmation`, 'Pass --yes to confirm without a prompt.');
      const what = flags.deleteWorker
        ? `Delete worker ${found.workerName}${choice?.kind === 'local' ? ' on the local edge' : ' on Cloudflare'} and remove ${args.client}`
        : `Remove ${args.client}`;
      if (!(await confirm(`${what} from ${fleet.configPath}?`))) throw usageError('not confirmed; nothing was changed');
    }
    const worker = choice ? await deleteClientWorker(fleet, args.client, (f) => resolveFleetTarget(ctx, f, flags)) : undefined;
    const result = await removeClient(fleet, args.client);
    ctx.output.result((await import('../../ui/json/project.js')).removeJson(result, worker));
    renderRemove(ctx.output, fleet.configPath, result, worker);
    return undefined;
  },
});
