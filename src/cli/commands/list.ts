import type { Command } from 'commander';
import { action } from '../action.js';
import { commandContext } from '../context.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('clients, worker names, datasets, URLs and secrets state')
    .option('--local', 'show URLs on the local edge')
    .action(
      action(async (flags: { local?: boolean }, cmd: Command) => {
        const ctx = commandContext(cmd);
        const [{ loadFleet }, { listClients, topLevelNotice }, { renderClientList }, { listJson }] = await Promise.all([
          import('../../fleet/fleet.js'),
          import('../../ops/project/list.js'),
          import('../../ui/client-list.js'),
          import('../../ui/json/project.js'),
        ]);
        const fleet = await loadFleet(ctx.cwd);
        // URLs need a target; without --local or a token, list stays offline and shows none.
        const wantsUrls = Boolean(flags.local) || Boolean(process.env.CLOUDFLARE_API_TOKEN);
        const target = wantsUrls
          ? await (await import('../../cloudflare/resolve-target.js')).resolveTarget({
              projectDir: fleet.dir,
              local: Boolean(flags.local),
              configAccountId: fleet.accountId,
            })
          : undefined;
        const listing = await listClients(fleet, target ? (worker) => target.workerUrl(worker) : undefined);
        ctx.output.result(listJson(listing));
        ctx.output.info(renderClientList(listing));
        const notice = await topLevelNotice(fleet);
        if (notice) ctx.output.warn(notice);
      }),
    );
}
