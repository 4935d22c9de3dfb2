import { resolve } from 'node:path';
import type { DepsMode } from '../../ops/project/init.js';
import { defineCommand, optionalArg } from '../define.js';
import { choice, flag, text } from '../options.js';

const DEPS_MODES = ['link', 'install', 'none'] as const satisfies readonly DepsMode[];

export const init = defineCommand({
  name: 'init',
  description: 'scaffold a fleet project: worker template, wrangler.jsonc, .secrets.template, .gitignore',
  args: [optionalArg('dir', 'the project directory (default: the current directory)')],
  options: {
    adopt: flag('--adopt', 'add mcp-fleet to an existing wrangler project (only .secrets.template and .gitignore entries)'),
    name: text('--name <name>', 'the top-level worker name (default: from the directory name)'),
    deps: choice(
      '--deps <mode>',
      "worker dependencies: link (use mcp-fleet's own, offline), install (npm install), none",
      DEPS_MODES,
      'link',
    ),
  },
  access: 'write',
  inCurrentDir: true,
  // Adopting changes a project others may be working on; a new project has no other writer yet.
  lockDir: ({ args, flags, ctx }) => (flags.adopt ? resolve(ctx.cwd, args.dir ?? '.') : undefined),
  run: async ({ args, flags, ctx }) => {
    const [{ initProject }, { renderInit }] = await Promise.all([
      import('../../ops/project/init.js'),
      import('../../ui/project-report.js'),
    ]);
    const target = resolve(ctx.cwd, args.dir ?? '.');
    const result = await initProject({ dir: target, adopt: flags.adopt, deps: flags.deps, name: flags.name });
    ctx.output.result((await import('../../ui/json/project.js')).initJson(result));
    renderInit(ctx.output, target, result);
    return undefined;
  },
});
