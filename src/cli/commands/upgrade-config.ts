import { clientsArg, defineCommand } from '../define.js';
import { all, flag } from '../options.js';

export const upgradeConfig = defineCommand({
  name: 'upgrade-config',
  description: "add to clients' sections of wrangler.jsonc what add writes today and they lack (version_metadata, CLIENT_ID, a dataset)",
  args: [clientsArg()],
  options: {
    all,
    check: flag('--check', 'change nothing; exit 1 when a section lacks something (for CI)'),
  },
  examples: [
    { args: 'upgrade-config --all --check', what: 'exit 1 when a section lacks what add writes today (for CI)' },
    { args: 'upgrade-config acme', what: "add to acme's section what it lacks" },
  ],
  access: 'write',
  run: async ({ args, flags, ctx }) => {
    const [{ loadFleet, selectClients }, { upgradeConfig }, { renderUpgrade }, { ExitCode }] = await Promise.all([
      import('../../fleet/fleet.js'),
      import('../../ops/project/upgrade-config.js'),
      import('../../ui/project-report.js'),
      import('../../util/errors.js'),
    ]);
    const fleet = await loadFleet(ctx.cwd);
    const result = await upgradeConfig(fleet, selectClients(fleet, args.clients, flags.all), { check: flags.check });
    ctx.output.result((await import('../../ui/json/project.js')).upgradeConfigJson(result, !(flags.check && result.changed)));
    renderUpgrade(ctx.output, fleet.configPath, result, flags.check);
    return flags.check && result.changed ? ExitCode.failed : ExitCode.ok;
  },
});
