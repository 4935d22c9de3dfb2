import type { Command } from 'commander';
import { ExitCode, usageError } from '../../util/errors.js';
import { action } from '../action.js';
import { collect, commandContext } from '../context.js';
import { cliInvocation } from '../invocation.js';
import { addLockOption, withProjectLock } from '../project-lock.js';

interface AddFlags {
  set?: string[];
  fromEnv?: boolean;
  force?: boolean;
  default?: boolean;
  deploy?: boolean;
  local?: boolean;
  wait?: boolean;
}

export function registerAdd(program: Command): void {
  addLockOption(program.command('add [client]'))
    .description('onboard a client: env section in wrangler.jsonc + .secrets.<client> (API_KEY generated)')
    .option('--default', 'the top-level worker serves a client itself (deployed without --env): make it one (client = its name)')
    .option('--set <KEY=VALUE>', 'a secret value (repeatable); prefer --from-env to keep values out of shell history', collect, [])
    .option('--from-env', 'take secret values from environment variables of the same name')
    .option('--force', 'replace an existing .secrets.<client> (a backup is kept)')
    .option('--deploy', 'deploy the new client right away (its first version carries its secrets), then verify it')
    .option('--local', 'with --deploy: deploy to the local edge')
    .action(
      action(async (named: string | undefined, flags: AddFlags, cmd: Command) => {
        const ctx = commandContext(cmd);
        if (named === undefined && !flags.default)
          throw usageError(
            "missing required argument 'client'",
            'Usage: mcp-fleet add <client>, or mcp-fleet add --default for the top-level worker',
          );
        return withProjectLock(cmd, ctx, flags, async () => {
          const [{ loadFleet }, { addClient, parseSetFlags }, { askSecret }, { addJson }] = await Promise.all([
            import('../../fleet/fleet.js'),
            import('../../ops/project/add.js'),
            import('../../ui/prompts.js'),
            import('../../ui/json/project.js'),
          ]);
          const set = parseSetFlags(flags.set ?? []);
          const fleet = await loadFleet(ctx.cwd);
          const client = named ?? fleet.topLevelName ?? '';
          const { prepareFleetRun, resolveFleetTarget, runFleetOp } = await import('../fleet-run.js');
          // With --deploy, what the deploy needs is checked before anything is written, so a refusal changes nothing.
          const target = flags.deploy ? await resolveFleetTarget(fleet, flags) : undefined;
          const result = await addClient({
            fleet,
            client,
            set,
            fromEnv: Boolean(flags.fromEnv),
            env: process.env,
            ask: ctx.output.interactive ? (key) => askSecret(key, client) : undefined,
            force: Boolean(flags.force),
            asDefault: Boolean(flags.default),
            requireComplete: flags.deploy ? '--deploy' : undefined,
          });
          if (!flags.deploy) ctx.output.result(addJson(result));
          ctx.output.success(
            result.default
              ? `${client} is a client: the top-level worker ${result.worker}, deployed without --env, dataset ${result.dataset ?? 'none'}`
              : `added ${client}: worker ${result.worker}, dataset ${result.dataset}`,
          );
          if (result.default && result.configAdded.length > 0)
            ctx.output.info(`  added to ${fleet.configPath}: ${result.configAdded.join(', ')}`);
          if (result.dataset === null)
            ctx.output.warn(`the top level binds no ANALYTICS dataset: mcp-fleet metrics ${client} will have nothing to read`);
          ctx.output.info(`  secrets: ${result.secretsFile} (0600)`);
          for (const [key, source] of Object.entries(result.sources)) ctx.output.info(`    ${key}: ${source}`);
          if (result.backup) ctx.output.info(`  previous secrets kept at ${result.backup}`);
          if (result.missing.length > 0) {
            ctx.output.warn(`missing: ${result.missing.join(', ')} — fill them in ${result.secretsFile} before deploying`);
          }
          if (!flags.deploy) {
            ctx.output.info(`next: ${cliInvocation()} deploy ${client}${flags.local ? ' --local' : ''}`);
            return ExitCode.ok;
          }
          const { deployOp } = await import('./deploy.js');
          const run = await prepareFleetRun(cmd, [client], { local: flags.local }, target);
          const deployed = await runFleetOp(run, await deployOp(run, 1, true));
          ctx.output.result(addJson(result, deployed.json));
          return deployed.exitCode;
        });
      }),
    );
}
