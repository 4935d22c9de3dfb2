import type { SecretsApi } from '../../cloudflare/api.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import type { ProgressListener } from '../../ops/fleet/progress.js';
import type { ClientOutcome } from '../../ops/fleet/runner.js';
import type { ExitCode } from '../../util/errors.js';
import { type Access, type CommandGroup, clientsArg, type DeclaredCommand, defineCommand, type Example } from '../define.js';
import { fleetCommand, secretsApi } from '../fleet-command.js';
import { all, flag, fleetOptions, textWithDefault, yes } from '../options.js';

export const secretsGroup: CommandGroup = {
  name: 'secrets',
  description: "push, compare, rotate and retire the secrets of clients' workers",
};

/** What push, status and retire each bring: the op, its table, its document (loaded when the command runs). */
interface SecretsOp<R extends ClientOutcome, D extends object> {
  op: (options: { fleet: Fleet; clients: Client[]; api: SecretsApi; concurrency: number; onProgress?: ProgressListener }) => Promise<R[]>;
  render: (results: readonly R[]) => string;
  json: (results: readonly R[], ok: boolean) => D;
  /** Reads show no live lines and may have an exit policy of their own. */
  read?: { exitCode: (results: readonly R[]) => ExitCode };
}

/** A secrets command over the fleet's clients, each through the secrets API. */
function secretsCommand<R extends ClientOutcome, D extends object>(
  name: string,
  description: string,
  examples: readonly Example[],
  access: Access,
  load: () => Promise<SecretsOp<R, D>>,
): DeclaredCommand {
  return defineCommand({
    name,
    description,
    args: [clientsArg()],
    options: fleetOptions(DEFAULT_CONCURRENCY.api),
    examples,
    access,
    run: ({ args, flags, ctx }) =>
      fleetCommand(ctx, args.clients, flags, async (run) => {
        const [parts, api] = await Promise.all([load(), secretsApi(run)]);
        return {
          progress: parts.read === undefined,
          run: (onProgress) =>
            parts.op({
              fleet: run.fleet,
              clients: run.clients,
              api,
              concurrency: flags.concurrency,
              ...(onProgress ? { onProgress } : {}),
            }),
          render: parts.render,
          json: parts.json,
          ...(parts.read ? { exitCode: parts.read.exitCode } : {}),
        };
      }),
  });
}

export const secretsPush = secretsCommand(
  'secrets push',
  'send each .secrets.<client> to its worker (one bulk request per client)',
  [
    { args: 'secrets push --all --local', what: "every client's secrets file to its worker on the local edge" },
    { args: 'secrets push acme', what: "acme's, on Cloudflare" },
  ],
  'write',
  async () => {
    const [{ pushSecrets }, { renderPushReport }, { pushJson }] = await Promise.all([
      import('../../ops/secrets/push.js'),
      import('../../ui/fleet-report.js'),
      import('../../ui/json/secrets.js'),
    ]);
    return { op: pushSecrets, render: renderPushReport, json: pushJson };
  },
);

export const secretsStatus = secretsCommand(
  'secrets status',
  'compare secret names on each worker with .secrets.<client> (names only); exit 1 when any differ',
  [
    { args: 'secrets status --all', what: 'which names each worker lacks or has extra, against its file' },
    { args: 'secrets status --all --local --json', what: 'the same on the local edge, as JSON' },
  ],
  'read',
  async () => {
    const [{ secretsStatus }, { statusExitCode }, { renderSecretsStatusReport }, { secretsStatusJson }] = await Promise.all([
      import('../../ops/secrets/status.js'),
      import('../../ops/fleet/client-failure.js'),
      import('../../ui/fleet-report.js'),
      import('../../ui/json/secrets.js'),
    ]);
    return { op: secretsStatus, render: renderSecretsStatusReport, json: secretsStatusJson, read: { exitCode: statusExitCode } };
  },
);

export const secretsRetire = secretsCommand(
  'secrets retire',
  'end the grace period of `rotate --grace`: the previous key (API_KEY, or a signing key) stops working',
  [{ args: 'secrets retire --all', what: 'every previous key kept by rotate --grace stops working' }],
  'write',
  async () => {
    const [{ retirePreviousKeys }, { renderRetireReport }, { retireJson }] = await Promise.all([
      import('../../ops/secrets/retire.js'),
      import('../../ui/fleet-report.js'),
      import('../../ui/json/secrets.js'),
    ]);
    return { op: retirePreviousKeys, render: renderRetireReport, json: retireJson };
  },
);

export const secretsRotate = defineCommand({
  name: 'secrets rotate',
  description: 'generate a new key, push it, save it, and prove the new key works and the old one does not',
  args: [clientsArg()],
  options: {
    ...fleetOptions(DEFAULT_CONCURRENCY.rotate),
    key: textWithDefault(
      '--key <KEY>',
      'the key to rotate (API_KEY and UPSTREAM_SIGNING_KEY are generated; any other key needs its new value)',
      'API_KEY',
    ),
    fromEnv: flag('--from-env', "with --key for a key the client supplies: the new value is the environment variable of the key's name"),
    grace: flag(
      '--grace',
      'keep the previous key working (API_KEY_PREVIOUS; for UPSTREAM_SIGNING_KEY, a second signature) until `secrets retire`, so callers and upstreams can switch over',
    ),
    yes: yes('never ask for a value at a terminal: take it from --from-env or fail'),
  },
  examples: [
    { args: 'secrets rotate acme --local', what: 'a new API_KEY for acme, proven live, the old one refused' },
    { args: 'secrets rotate --all --grace', what: 'every client, keeping the previous key working until secrets retire' },
    { env: 'UPSTREAM_TOKEN=tok-new', args: 'secrets rotate acme --key UPSTREAM_TOKEN --from-env', what: 'a value the client supplies' },
    {
      args: 'secrets rotate acme --key UPSTREAM_SIGNING_KEY --grace',
      what: "a new upstream signing key; requests carry both keys' signatures until secrets retire",
    },
  ],
  access: 'write',
  run: ({ args, flags, ctx }) =>
    fleetCommand(ctx, args.clients, flags, async (run) => {
      const [{ rotateSecrets }, { suppliedValues }, { renderRotateReport }, { rotateJson }, { askSecret }, api] = await Promise.all([
        import('../../ops/secrets/rotate.js'),
        import('../../ops/secrets/rotation/value.js'),
        import('../../ui/fleet-report.js'),
        import('../../ui/json/secrets.js'),
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
        json: rotateJson,
      };
    }),
});

export const secretsSeal = defineCommand({
  name: 'secrets seal',
  description:
    "encrypt each .secrets.<client> to the team's recipients as .secrets.<client>.age, to commit (the plain file stays, ignored by git)",
  args: [clientsArg()],
  options: { all, force: flag('--force', 'seal again even when the sealed copy already holds the same secrets') },
  examples: [
    { args: 'secrets seal --all', what: "every client's secrets, sealed for everyone in .secrets-recipients" },
    { args: 'secrets seal acme', what: "acme's, after editing .secrets.acme" },
  ],
  access: 'write',
  run: async ({ args, flags, ctx }) => (await import('../run/sealed.js')).runSealCommand(ctx, args.clients, flags, 'seal'),
});

export const secretsUnseal = defineCommand({
  name: 'secrets unseal',
  description:
    'decrypt each .secrets.<client>.age to the plain .secrets.<client> (0600), for those who want the file; commands read the sealed copy without it',
  args: [clientsArg()],
  options: { all, force: flag('--force', 'overwrite a plain file that differs from the sealed copy') },
  examples: [
    {
      env: 'MCP_FLEET_AGE_IDENTITY_FILE=~/.config/mcp-fleet/age-identity.txt',
      args: 'secrets unseal --all',
      what: 'plain files from the sealed ones',
    },
  ],
  access: 'write',
  run: async ({ args, flags, ctx }) => (await import('../run/sealed.js')).runSealCommand(ctx, args.clients, flags, 'unseal'),
});
