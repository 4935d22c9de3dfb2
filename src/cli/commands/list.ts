import { defineCommand } from '../define.js';
import { targetOptions } from '../options.js';

export const list = defineCommand({
  name: 'list',
  description: 'clients, worker names, datasets, URLs and secrets state',
  args: [],
  options: { ...targetOptions },
  access: 'read',
  run: async ({ flags, ctx }) => {
    const [{ loadFleet }, { listClients, topLevelNotice }, { renderClientList }, { resolveFleetTarget }] = await Promise.all([
      import('../../fleet/fleet.js'),
      import('../../ops/project/list.js'),
      import('../../ui/client-list.js'),
      import('../fleet-command.js'),
    ]);
    const fleet = await loadFleet(ctx.cwd);
    // URLs need a target; on Cloudflare without a token, list stays offline and shows none.
    const { chooseTarget } = await import('../../cloudflare/target-choice.js');
    const choice = await chooseTarget(fleet.dir, flags);
    const wantsUrls = choice.kind === 'local' || Boolean(process.env.CLOUDFLARE_API_TOKEN);
    const target = wantsUrls ? await resolveFleetTarget(ctx, fleet, flags) : undefined;
    const listing = await listClients(fleet, target ? (worker) => target.workerUrl(worker) : undefined);
    ctx.output.result((await import('../../ui/json/project.js')).listJson(listing));
    ctx.output.info(renderClientList(listing));
    const notice = await topLevelNotice(fleet);
    if (notice) ctx.output.warn(notice);
    return undefined;
  },
});
