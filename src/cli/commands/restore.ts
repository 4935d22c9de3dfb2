import { defineCommand, requiredArg } from '../define.js';

export const restore = defineCommand({
  name: 'restore',
  description: 'bring back a removed client: its env section and secrets file as remove kept them, byte for byte',
  args: [requiredArg('client', 'the removed client to bring back')],
  options: {},
  access: 'write',
  run: async ({ args, ctx }) => {
    const [{ loadFleet }, { restoreClient }, { renderRestore }, { restoreJson }] = await Promise.all([
      import('../../fleet/fleet.js'),
      import('../../ops/project/restore.js'),
      import('../../ui/project-report.js'),
      import('../../ui/json/project.js'),
    ]);
    const fleet = await loadFleet(ctx.cwd);
    const result = await restoreClient(fleet, args.client);
    ctx.output.result(restoreJson(result));
    renderRestore(ctx.output, fleet.configPath, result);
    return undefined;
  },
});
