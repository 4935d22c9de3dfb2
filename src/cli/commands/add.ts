import type { Command } from 'commander';
import { ExitCode } from '../../util/errors.js';
import { action } from '../action.js';
import { collect, commandContext } from '../context.js';
import { cliInvocation } from '../invocation.js';
import { addLockOption, withProjectLock } from '../project-lock.js';

interface AddFlags {
  set?: string[];
  fromEnv?: boolean;
  force?: boolean;
  deploy?: boolean;
  local?: boolean;
  wait?: boolean;
}

export function registerAdd(program: Command): void {
  addLockOption(program.command('add <client>'))
    .description('onboard a client: env section in wrangler.jsonc + .secrets.<client> (API_KEY generated)')
    .option('--set <KEY=VALUE>', 'a secret value (repeatable); prefer --from-env to keep values out of shell history', collect, [])
    .option('--from-env', 'take secret values from environment variables of the same name')
    .option('--force', 'replace an existing .secrets.<client> (a backup is kept)')
    .option('--deploy', 'deploy the new client right away (its first version carries its secrets), then verify it')
    .option('--local', 'with --deploy: deploy to the local edge')
    .action(
      action(async (client: string, flags: AddFlags, cmd: Command) => {
        const ctx = commandContext(cmd);
        return withProjectLock(cmd, ctx, flags, async () => {
          const [{ loadFleet }, { addClient, parseSetFlags }, { askSecret }] = await Promise.all([
            import('../../fleet/fleet.js'),
            import('../../ops/add.js'),
            import('../../ui/prompts.js'),
          ]);
          const set = parseSetFlags(flags.set ?? []);
          const fleet = await loadFleet(ctx.cwd);
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
            requireComplete: flags.deploy ? '--deploy' : undefined,
          });
          if (!flags.deploy) ctx.output.result(result);
          ctx.output.success(`added ${client}: worker ${result.worker}, dataset ${result.dataset}`);
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
          ctx.output.result({ ...result, deploy: deployed.json });
          return deployed.exitCode;
        });
      }),
    );
}
