import { defineCommand, requiredArg } from '../define.js';
import { flag, local, yes } from '../options.js';

export const remove = defineCommand({
  name: 'remove',
  description: 'offboard a client: drop its env section, keep its secrets file in .mcp-fleet/removed/',
  args: [requiredArg('client', 'the client to offboard')],
  options: {
    deleteWorker: flag('--delete-worker', "delete the client's worker on Cloudflare too (first, so a failure changes nothing locally)"),
    local,
    yes: yes('confirm without a prompt'),
  },
  examples: [
    { args: 'remove acme', what: 'offboard acme (asks first); its secrets file is kept in .mcp-fleet/removed/' },
    { args: 'remove acme --delete-worker --local --yes', what: 'and delete its worker on the local edge, without asking' },
  ],
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
    const fleet = await loadFleet(ctx.cwd);
    const found = findClient(fleet, args.client);
    if (found && !flags.yes) {
      if (!ctx.output.interactive)
        throw usageError(`removing ${args.client} needs confirmation`, 'Pass --yes to confirm without a prompt.');
      const what = flags.deleteWorker
        ? `Delete worker ${found.workerName}${flags.local ? ' on the local edge' : ''} and remove ${args.client}`
        : `Remove ${args.client}`;
      if (!(await confirm(`${what} from ${fleet.configPath}?`))) throw usageError('not confirmed; nothing was changed');
    }
    const worker = flags.deleteWorker ? await deleteClientWorker(fleet, args.client, flags.local) : undefined;
    const result = await removeClient(fleet, args.client);
    ctx.output.result((await import('../../ui/json/project.js')).removeJson(result, worker));
    renderRemove(ctx.output, fleet.configPath, result, worker);
    return undefined;
  },
});
