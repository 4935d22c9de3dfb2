import { resolve } from 'node:path';
import type { DepsMode } from '../../ops/project/init.js';
import { usageError } from '../../util/errors.js';
import { defineCommand, optionalArg } from '../define.js';
import { choice, flag, parsed, text } from '../options.js';

const CI_PROVIDERS = ['github'] as const;

function parseCi(value: string): 'github' {
  if (value !== 'github') throw usageError(`--ci ${value}: the CI mcp-fleet writes a workflow for is ${CI_PROVIDERS.join(', ')}`);
  return value;
}

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
    ci: parsed(
      '--ci <provider>',
      'also write a CI workflow: github (.github/workflows/mcp-fleet.yml: plan and status on pull requests, deploy in waves on main); in an existing project, only the workflow',
      parseCi,
    ),
    force: flag('--force', 'with --ci: replace an existing workflow that differs'),
  },
  examples: [
    { args: 'init my-fleet', what: "a new fleet project in ./my-fleet, using mcp-fleet's own worker dependencies" },
    { args: 'init my-fleet --deps install', what: 'the same, with its own node_modules (npm install)' },
    { args: 'init --adopt', what: 'make the wrangler project here a fleet project (only .secrets.template and .gitignore)' },
    { args: 'init --ci github', what: 'in a fleet project: add the GitHub Actions workflow (plan on pull requests, deploy on main)' },
  ],
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
    if (flags.force && flags.ci === undefined) throw usageError('--force goes with --ci: it replaces an existing workflow');
    if (flags.ci !== undefined && !flags.adopt) {
      const { findProjectUp } = await import('../../config/project-root.js');
      // A project that exists gets the workflow only: init never scaffolds over one.
      if ((await findProjectUp(target))?.dir === target) return (await import('../run/ci.js')).runCiWorkflow(ctx, target, flags.force);
    }
    const result = await initProject({ dir: target, adopt: flags.adopt, deps: flags.deps, name: flags.name });
    if (flags.ci !== undefined) {
      const ci = await (await import('../run/ci.js')).writeWorkflow(target, flags.force);
      ctx.output.result((await import('../../ui/json/project.js')).initJson(result, ci.write));
      renderInit(ctx.output, target, result);
      ci.render(ctx.output);
      return undefined;
    }
    ctx.output.result((await import('../../ui/json/project.js')).initJson(result, undefined));
    renderInit(ctx.output, target, result);
    return undefined;
  },
});
