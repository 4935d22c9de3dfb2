import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { type CommandGroup, clientsArg, defineCommand } from '../define.js';
import { fleetCommand, secretsApi } from '../fleet-command.js';
import { flag, fleetOptions, textWithDefault, yes } from '../options.js';

export const secretsGroup: CommandGroup = {
  name: 'secrets',
  description: "push, compare, rotate and retire the secrets of clients' workers",
};

export const secretsPush = defineCommand({
  name: 'secrets push',
  description: 'send each .secrets.<client> to its worker (one bulk request per client)',
  args: [clientsArg()],
  options: fleetOptions(DEFAULT_CONCURRENCY.api),
  access: 'write',
  run: ({ args, flags, ctx }) =>
    fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ pushSecrets }, { renderPushReport }, api] = await Promise.all([
        import('../../ops/secrets/push.js'),
        import('../../ui/fleet-report.js'),
        secretsApi(run),
      ]);
      return {
        progress: true,
        run: (onProgress) => pushSecrets({ ...run, api, concurrency: flags.concurrency, onProgress }),
        render: renderPushReport,
      };
    }),
});

export const secretsStatus = defineCommand({
  name: 'secrets status',
  description: 'compare secret names on each worker with .secrets.<client> (names only); exit 1 when any differ',
  args: [clientsArg()],
  options: fleetOptions(DEFAULT_CONCURRENCY.api),
  access: 'read',
  run: ({ args, flags, ctx }) =>
    fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ secretsStatus }, { statusExitCode }, { renderSecretsStatusReport }, api] = await Promise.all([
        import('../../ops/secrets/status.js'),
        import('../../ops/fleet/client-failure.js'),
        import('../../ui/fleet-report.js'),
        secretsApi(run),
      ]);
      return {
        progress: false,
        run: () => secretsStatus({ ...run, api, concurrency: flags.concurrency }),
        render: renderSecretsStatusReport,
        exitCode: statusExitCode,
      };
    }),
});

export const secretsRotate = defineCommand({
  name: 'secrets rotate',
  description: 'generate a new key, push it, save it, and prove the new key works and the old one does not',
  args: [clientsArg()],
  options: {
    ...fleetOptions(DEFAULT_CONCURRENCY.rotate),
    key: textWithDefault('--key <KEY>', 'the key to rotate (API_KEY is generated; any other key needs its new value)', 'API_KEY'),
    fromEnv: flag('--from-env', "with --key for a key the client supplies: the new value is the environment variable of the key's name"),
    grace: flag('--grace', 'keep the previous API_KEY working (as API_KEY_PREVIOUS) until `secrets retire`, so callers can switch over'),
    yes: yes('never ask for a value at a terminal: take it from --from-env or fail'),
  },
  access: 'write',
  run: ({ args, flags, ctx }) =>
    fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ rotateSecrets }, { suppliedValues }, { renderRotateReport }, { askSecret }, api] = await Promise.all([
        import('../../ops/secrets/rotate.js'),
        import('../../ops/secrets/rotation/value.js'),
        import('../../ui/fleet-report.js'),
        import('../../ui/prompts.js'),
        secretsApi(run),
      ]);
      // Asked here, before the live progress lines start: a value never comes from argv.
      const values = await suppliedValues({
        ...run,
        key: flags.key,
        grace: flags.grace,
        fromEnv: flags.fromEnv,
        env: process.env,
        ask: ctx.output.interactive ? askSecret : undefined,
      });
      return {
        progress: true,
        run: (onProgress) =>
          rotateSecrets({ ...run, api, key: flags.key, values, grace: flags.grace, concurrency: flags.concurrency, onProgress }),
        render: renderRotateReport,
      };
    }),
});

export const secretsRetire = defineCommand({
  name: 'secrets retire',
  description: 'end the grace period of `rotate --grace`: the previous API_KEY stops working',
  args: [clientsArg()],
  options: fleetOptions(DEFAULT_CONCURRENCY.api),
  access: 'write',
  run: ({ args, flags, ctx }) =>
    fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ retirePreviousKeys }, { renderRetireReport }, api] = await Promise.all([
        import('../../ops/secrets/retire.js'),
        import('../../ui/fleet-report.js'),
        secretsApi(run),
      ]);
      return {
        progress: true,
        run: (onProgress) => retirePreviousKeys({ ...run, api, concurrency: flags.concurrency, onProgress }),
        render: renderRetireReport,
      };
    }),
});
