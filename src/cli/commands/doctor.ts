import { defineCommand } from '../define.js';
import { targetOptions } from '../options.js';

export const doctor = defineCommand({
  name: 'doctor',
  description:
    "check what the fleet depends on: Node, wrangler, the API token (valid, its account, the permissions the project's features need), secrets files' modes and git, the local edge, the worker template; exit 1 when a check fails",
  args: [],
  options: { ...targetOptions },
  examples: [
    { args: 'doctor', what: 'every check, with a fix under each one that is not ok' },
    { args: 'doctor --local', what: "the same, checking the local edge's token" },
  ],
  access: 'read',
  run: async ({ flags, ctx }) => (await import('../run/doctor.js')).runDoctorCommand(ctx, flags),
});
