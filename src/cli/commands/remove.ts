import { defineCommand, requiredArg } from '../define.js';
import { flag, targetOptions, yes } from '../options.js';

export const remove = defineCommand({
  name: 'remove',
  description: 'offboard a client: drop its env section, keep it in .mcp-fleet/removed/ (see restore), and delete or keep its worker',
  args: [requiredArg('client', 'the client to offboard')],
  options: {
    deleteWorker: flag(
      '--delete-worker',
      "delete the client's worker too (first, so a failure changes nothing locally); for a client removed earlier, delete the worker it left",
    ),
    keepWorker: flag('--keep-worker', 'leave its worker serving: its key still opens it (delete it later with --delete-worker)'),
    ...targetOptions,
    yes: yes('confirm without a prompt'),
  },
  access: 'write',
  run: async ({ args, flags, ctx }) => (await import('../run/remove.js')).runRemove(ctx, { ...args, ...flags }),
});
