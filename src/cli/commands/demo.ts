import { defineCommand, optionalArg } from '../define.js';

export const demo = defineCommand({
  name: 'demo',
  description: 'the whole loop on the local edge: init, add 3 clients, deploy, verify, rotate a key, verify again',
  args: [optionalArg('dir', 'where to leave the demo project (default: a new temp directory)')],
  options: {},
  access: 'none',
  inCurrentDir: true,
  run: async ({ args, ctx }) => (await import('../run/demo.js')).runDemoCommand(ctx, args.dir),
});
