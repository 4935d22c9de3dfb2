import type { Command } from 'commander';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, fleetApi, prepareFleetRun, withFleetProgress } from '../fleet-run.js';

/** The modules a secrets subcommand needs, loaded only when one runs. */
async function load() {
  const [clientSecrets, push, rotate, status, retire, report] = await Promise.all([
    import('../../ops/client-secrets.js'),
    import('../../ops/secrets-push.js'),
    import('../../ops/secrets-rotate.js'),
    import('../../ops/secrets-status.js'),
    import('../../ops/secrets-retire.js'),
    import('../../ui/fleet-report.js'),
  ]);
  return { ...clientSecrets, ...push, ...rotate, ...status, ...retire, ...report };
}

export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description("push, compare and rotate the secrets of clients' workers");

  addFleetOptions(
    secrets.command('push [clients...]').description('send each .secrets.<client> to its worker (one bulk request per client)'),
    8,
  ).action(
    action(async (names: string[], flags: FleetFlags, cmd: Command) => {
      const run = await prepareFleetRun(cmd, names, flags);
      const { pushSecrets, fleetJson, renderPushReport, fleetExitCode } = await load();
      const api = await fleetApi(run);
      const results = await withFleetProgress(run, (onProgress) =>
        pushSecrets({ fleet: run.fleet, clients: run.clients, api, concurrency: parseConcurrency(flags.concurrency, 8), onProgress }),
      );
      run.ctx.output.result(fleetJson(results));
      run.ctx.output.info(renderPushReport(results));
      process.exitCode = fleetExitCode(results.map((result) => result.error));
    }),
  );

  addFleetOptions(
    secrets
      .command('status [clients...]')
      .description('compare secret names on each worker with .secrets.<client> (names only); exit 1 when any differ'),
    8,
  ).action(
    action(async (names: string[], flags: FleetFlags, cmd: Command) => {
      const run = await prepareFleetRun(cmd, names, flags);
      const { secretsStatus, fleetJson, renderStatusReport, fleetExitCode } = await load();
      const results = await secretsStatus({
        fleet: run.fleet,
        clients: run.clients,
        api: await fleetApi(run),
        concurrency: parseConcurrency(flags.concurrency, 8),
      });
      run.ctx.output.result(fleetJson(results));
      run.ctx.output.info(renderStatusReport(results));
      const errors = results.map((result) => result.error);
      process.exitCode = errors.some((error) => error !== undefined)
        ? fleetExitCode(errors)
        : results.every((result) => result.inSync)
          ? 0
          : 1;
    }),
  );

  addFleetOptions(
    secrets
      .command('rotate [clients...]')
      .description('generate a new key, push it, save it, and prove the new key works and the old one does not')
      .option('--key <KEY>', 'the key to rotate', 'API_KEY')
      .option('--grace', 'keep the previous API_KEY working (as API_KEY_PREVIOUS) until `secrets retire`, so callers can switch over'),
    4,
  ).action(
    action(async (names: string[], flags: FleetFlags & { key: string; grace?: boolean }, cmd: Command) => {
      const run = await prepareFleetRun(cmd, names, flags);
      const { rotateSecrets, fleetJson, renderRotateReport, fleetExitCode } = await load();
      const api = await fleetApi(run);
      const results = await withFleetProgress(run, (onProgress) =>
        rotateSecrets({
          fleet: run.fleet,
          clients: run.clients,
          api,
          key: flags.key,
          grace: Boolean(flags.grace),
          concurrency: parseConcurrency(flags.concurrency, 4),
          onProgress,
        }),
      );
      run.ctx.output.result(fleetJson(results));
      run.ctx.output.info(renderRotateReport(results));
      process.exitCode = fleetExitCode(results.map((result) => result.error));
    }),
  );

  addFleetOptions(
    secrets.command('retire [clients...]').description('end the grace period of `rotate --grace`: the previous API_KEY stops working'),
    8,
  ).action(
    action(async (names: string[], flags: FleetFlags, cmd: Command) => {
      const run = await prepareFleetRun(cmd, names, flags);
      const { retirePreviousKeys, fleetJson, renderRetireReport, fleetExitCode } = await load();
      const api = await fleetApi(run);
      const results = await withFleetProgress(run, (onProgress) =>
        retirePreviousKeys({
          fleet: run.fleet,
          clients: run.clients,
          api,
          concurrency: parseConcurrency(flags.concurrency, 8),
          onProgress,
        }),
      );
      run.ctx.output.result(fleetJson(results));
      run.ctx.output.info(renderRetireReport(results));
      process.exitCode = fleetExitCode(results.map((result) => result.error));
    }),
  );
}
