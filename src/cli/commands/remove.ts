import type { Command } from 'commander';
import { usageError } from '../../util/errors.js';
import { commandContext } from '../context.js';

export function registerRemove(program: Command): void {
  program
    .command('remove <client>')
    .description('offboard a client: drop its env section, keep its secrets file in .mcp-fleet/removed/')
    .action(async (client: string, _flags: Record<string, unknown>, cmd: Command) => {
      const ctx = commandContext(cmd);
      const [{ findClient, loadFleet }, { removeClient }, { confirm }] = await Promise.all([
        import('../../fleet/fleet.js'),
        import('../../ops/remove.js'),
        import('../../ui/prompts.js'),
      ]);
      const fleet = await loadFleet(ctx.cwd);
      if (findClient(fleet, client) && !ctx.yes) {
        if (!ctx.output.interactive) throw usageError(`removing ${client} needs confirmation`, 'Pass --yes to confirm without a prompt.');
        if (!(await confirm(`Remove ${client} from ${fleet.configPath}?`))) throw usageError('not confirmed; nothing was changed');
      }
      const result = await removeClient(fleet, client);
      ctx.output.result(result);
      ctx.output.success(`removed ${client} from ${fleet.configPath}`);
      if (result.secretsKeptAt) ctx.output.info(`  secrets kept at ${result.secretsKeptAt} (restore by moving it back)`);
    });
}
