import { defineCommand, optionalArg, requiredArg } from '../define.js';
import { targetOptions } from '../options.js';

export const auth = defineCommand({
  name: 'auth',
  description:
    "show or set how callers prove who they are at a client's worker: key (its bearer key), oauth (its own OAuth 2.1 server: people sign in with an invitation or their company's identity provider), jwt (per-person tokens from `tokens issue`); the next deploy ships it",
  args: [
    requiredArg('client', 'the client'),
    optionalArg('modes', 'a comma-separated list of key, oauth, jwt (omit to show the current ones)'),
  ],
  options: { ...targetOptions },
  examples: [
    { args: 'auth acme', what: "acme's auth modes" },
    {
      args: 'auth acme key,oauth,jwt --local',
      what: "accept the key, OAuth and per-person tokens: creates and binds acme's identity namespace and a signing key, once",
    },
  ],
  access: 'write',
  run: async ({ args, flags, ctx }) => {
    const [{ loadFleet, selectClients }, { parseModes, needsIdentityStore }, { changeAuthModes }, { clientModes, identityNamespaceOf }] =
      await Promise.all([
        import('../../fleet/fleet.js'),
        import('../../config/auth-modes.js'),
        import('../../ops/identity/modes.js'),
        import('../../ops/identity/store.js'),
      ]);
    const fleet = await loadFleet(ctx.cwd);
    const [client] = selectClients(fleet, [args.client], false);
    if (!client) return undefined;
    const { renderModes, renderModesChange } = await import('../../ui/identity-report.js');
    if (args.modes === undefined) {
      const modes = clientModes(client);
      ctx.output.result((await import('../../ui/json/identity.js')).authShowJson(client.name, modes, identityNamespaceOf(client)));
      ctx.output.info(renderModes(client.name, modes, identityNamespaceOf(client)));
      return undefined;
    }
    const modes = parseModes(args.modes, '<modes>');
    const needsKv = needsIdentityStore(modes) && identityNamespaceOf(client) === undefined;
    const { configuredTarget } = await import('../fleet-command.js');
    const target = needsKv ? await configuredTarget(ctx, fleet, flags) : undefined;
    const kv = target ? (await import('../../cloudflare/kv.js')).createKvApi(target) : undefined;
    const change = await changeAuthModes({ fleet, client, modes, kv });
    ctx.output.result((await import('../../ui/json/identity.js')).authChangeJson(change));
    ctx.output.info(renderModesChange(change));
    return undefined;
  },
});
