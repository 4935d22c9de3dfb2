import type { Command } from 'commander';
import { ExitCode } from '../../util/errors.js';
import { action } from '../action.js';
import { commandContext } from '../context.js';
import { addLockOption, withProjectLock } from '../project-lock.js';

export function registerUpgradeConfig(program: Command): void {
  addLockOption(program.command('upgrade-config [clients...]'))
    .description("add to clients' sections of wrangler.jsonc what add writes today and they lack (version_metadata, CLIENT_ID, a dataset)")
    .option('--all', 'every client')
    .option('--check', 'change nothing; exit 1 when a section lacks something (for CI)')
    .action(
      action(async (names: string[], flags: { all?: boolean; check?: boolean; wait?: boolean }, cmd: Command) => {
        const ctx = commandContext(cmd);
        return withProjectLock(cmd, ctx, flags, async () => {
          const [{ loadFleet, selectClients }, { upgradeConfig }, { upgradeConfigJson }] = await Promise.all([
            import('../../fleet/fleet.js'),
            import('../../ops/project/upgrade-config.js'),
            import('../../ui/json/project.js'),
          ]);
          const fleet = await loadFleet(ctx.cwd);
          const clients = selectClients(fleet, names, Boolean(flags.all));
          const check = Boolean(flags.check);
          const result = await upgradeConfig(fleet, clients, { check });
          ctx.output.result(upgradeConfigJson(result, !(check && result.changed)));
          for (const entry of result.clients) {
            ctx.output.info(
              entry.added.length === 0
                ? `  ${entry.client}  nothing to add (${entry.section})`
                : `  ${entry.client}  ${check ? 'lacks' : 'added'} ${entry.added.join(', ')} (${entry.section})`,
            );
          }
          const count = result.clients.filter((entry) => entry.added.length > 0).length;
          if (!result.changed) ctx.output.success(`every section is complete (${result.clients.length} checked)`);
          else if (check) ctx.output.warn(`${count} of ${result.clients.length} sections lack something; run without --check to add it`);
          else ctx.output.success(`completed ${count} of ${result.clients.length} sections in ${fleet.configPath}; deploy to use them`);
          return check && result.changed ? ExitCode.failed : ExitCode.ok;
        });
      }),
    );
}
