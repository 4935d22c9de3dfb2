import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DepsMode } from '../../ops/project/init.js';
import { usageError } from '../../util/errors.js';
import { action } from '../action.js';
import { commandContext } from '../context.js';
import { cliInvocation } from '../invocation.js';
import { addLockOption, withProjectLock } from '../project-lock.js';

export function registerInit(program: Command): void {
  addLockOption(program.command('init [dir]'))
    .description('scaffold a fleet project: worker template, wrangler.jsonc, .secrets.template, .gitignore')
    .option('--adopt', 'add mcp-fleet to an existing wrangler project (only .secrets.template and .gitignore entries)')
    .option('--name <name>', 'the top-level worker name (default: from the directory name)')
    .option('--deps <mode>', "worker dependencies: link (use mcp-fleet's own, offline), install (npm install), none", 'link')
    .action(
      action(async (dir: string | undefined, opts: { adopt?: boolean; name?: string; deps: string; wait?: boolean }, cmd: Command) => {
        const ctx = commandContext(cmd);
        if (!['link', 'install', 'none'].includes(opts.deps)) throw usageError(`--deps ${opts.deps}: expected link, install or none`);
        const [{ initProject }, { initJson }] = await Promise.all([
          import('../../ops/project/init.js'),
          import('../../ui/json/project.js'),
        ]);
        const target = resolve(ctx.cwd, dir ?? '.');
        const init = () => initProject({ dir: target, adopt: Boolean(opts.adopt), deps: opts.deps as DepsMode, name: opts.name });
        // Adopting changes a project others may be working on; a new project has no other writer yet.
        const result = opts.adopt ? await withProjectLock(cmd, ctx, opts, init, target) : await init();
        ctx.output.result(initJson(result));
        if (result.adopted) {
          ctx.output.success(`adopted ${target}${result.created.length ? ` (added ${result.created.join(', ')})` : ' (nothing to add)'}`);
          const top = result.topLevel;
          const clients = (result.clients ?? []).map((name) => (top?.client && name === top.name ? `${name} (top-level worker)` : name));
          ctx.output.info(`  clients: ${clients.join(', ') || 'none yet'}`);
          if (top && !top.client && top.canBeClient)
            ctx.output.info(
              `  the top-level worker ${top.name} is not a client; if it serves one: ${cliInvocation()} -C ${target} add ${top.name} --default`,
            );
        } else {
          ctx.output.success(`created fleet project ${result.name} in ${target}`);
          for (const file of result.created) ctx.output.info(`  ${file}`);
        }
        ctx.output.info(`next: ${cliInvocation()} -C ${target} add <client>`);
      }),
    );
}
