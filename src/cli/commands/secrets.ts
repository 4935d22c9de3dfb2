import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, fleetApi, fleetCommand } from '../fleet-run.js';
import { addLockOption } from '../project-lock.js';

export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description("push, compare, rotate and retire the secrets of clients' workers");

  addFleetOptions(
    addLockOption(secrets.command('push [clients...]')).description(
      'send each .secrets.<client> to its worker (one bulk request per client)',
    ),
    DEFAULT_CONCURRENCY.api,
  ).action(
    action((names: string[], flags: FleetFlags, cmd: Command) =>
      fleetCommand(cmd, names, flags, 'write', async (run) => {
        const [{ pushSecrets }, { renderPushReport }, api] = await Promise.all([
          import('../../ops/secrets/push.js'),
          import('../../ui/fleet-report.js'),
          fleetApi(run),
        ]);
        const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.api);
        return {
          progress: true,
          run: (onProgress) => pushSecrets({ fleet: run.fleet, clients: run.clients, api, concurrency, onProgress }),
          render: renderPushReport,
        };
      }),
    ),
  );

  addFleetOptions(
    secrets
      .command('status [clients...]')
      .description('compare secret names on each worker with .secrets.<client> (names only); exit 1 when any differ'),
    DEFAULT_CONCURRENCY.api,
  ).action(
    action((names: string[], flags: FleetFlags, cmd: Command) =>
      fleetCommand(cmd, names, flags, 'read', async (run) => {
        const [{ secretsStatus, statusExitCode }, { renderSecretsStatusReport }, api] = await Promise.all([
          import('../../ops/secrets/status.js'),
          import('../../ui/fleet-report.js'),
          fleetApi(run),
        ]);
        const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.api);
        return {
          progress: false,
          run: () => secretsStatus({ fleet: run.fleet, clients: run.clients, api, concurrency }),
          render: renderSecretsStatusReport,
          exitCode: statusExitCode,
        };
      }),
    ),
  );

  addFleetOptions(
    addLockOption(secrets.command('rotate [clients...]'))
      .description('generate a new key, push it, save it, and prove the new key works and the old one does not')
      .option('--key <KEY>', 'the key to rotate (API_KEY is generated; any other key needs its new value)', 'API_KEY')
      .option('--from-env', "with --key for a key the client supplies: the new value is the environment variable of the key's name")
      .option('--grace', 'keep the previous API_KEY working (as API_KEY_PREVIOUS) until `secrets retire`, so callers can switch over'),
    DEFAULT_CONCURRENCY.rotate,
  ).action(
    action((names: string[], flags: FleetFlags & { key: string; grace?: boolean; fromEnv?: boolean }, cmd: Command) =>
      fleetCommand(cmd, names, flags, 'write', async (run) => {
        const [{ rotateSecrets }, { suppliedValues }, { renderRotateReport }, { askSecret }, api] = await Promise.all([
          import('../../ops/secrets/rotate.js'),
          import('../../ops/secrets/rotation/value.js'),
          import('../../ui/fleet-report.js'),
          import('../../ui/prompts.js'),
          fleetApi(run),
        ]);
        const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.rotate);
        const grace = Boolean(flags.grace);
        // Asked here, before the live progress lines start: a value never comes from argv.
        const values = await suppliedValues({
          fleet: run.fleet,
          clients: run.clients,
          key: flags.key,
          grace,
          fromEnv: Boolean(flags.fromEnv),
          env: process.env,
          ask: run.ctx.output.interactive ? askSecret : undefined,
        });
        return {
          progress: true,
          run: (onProgress) =>
            rotateSecrets({ fleet: run.fleet, clients: run.clients, api, key: flags.key, values, grace, concurrency, onProgress }),
          render: renderRotateReport,
        };
      }),
    ),
  );

  addFleetOptions(
    addLockOption(secrets.command('retire [clients...]')).description(
      'end the grace period of `rotate --grace`: the previous API_KEY stops working',
    ),
    DEFAULT_CONCURRENCY.api,
  ).action(
    action((names: string[], flags: FleetFlags, cmd: Command) =>
      fleetCommand(cmd, names, flags, 'write', async (run) => {
        const [{ retirePreviousKeys }, { renderRetireReport }, api] = await Promise.all([
          import('../../ops/secrets/retire.js'),
          import('../../ui/fleet-report.js'),
          fleetApi(run),
        ]);
        const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.api);
        return {
          progress: true,
          run: (onProgress) => retirePreviousKeys({ fleet: run.fleet, clients: run.clients, api, concurrency, onProgress }),
          render: renderRetireReport,
        };
      }),
    ),
  );
}
