import { defineCommand, optionalArg } from '../define.js';
import { flag, repeatable, targetOptions, text, yes } from '../options.js';

export const add = defineCommand({
  name: 'add',
  description:
    'onboard a client: env section in wrangler.jsonc + .secrets.<client> (API_KEY generated for a new worker; a live worker keeps its own)',
  args: [optionalArg('client', 'the client to add (its worker and env are named after it)')],
  options: {
    default: flag('--default', 'the top-level worker serves a client itself (deployed without --env): make it one (client = its name)'),
    adopt: flag(
      '--adopt',
      'take over a client that exists: an env section without its secrets file (the section is left byte for byte), or a worker in the account no section names',
    ),
    set: repeatable('--set <KEY=VALUE>', 'a secret value or a setting of .vars.template (repeatable); prefer --from-env for secrets'),
    fromEnv: flag('--from-env', 'take values (API_KEY too) from environment variables of the same name'),
    newKey: flag('--new-key', 'generate a new API_KEY even when the worker already runs (its callers then need the new key)'),
    yes: yes('never ask for a value at a terminal: what --set and --from-env do not give stays missing'),
    force: flag('--force', 'replace an existing .secrets.<client> (a backup is kept)'),
    auth: text(
      '--auth <modes>',
      'how callers prove who they are: a comma list of key (default), oauth, jwt; oauth and jwt create its identity namespace on the target',
    ),
    deploy: flag('--deploy', 'deploy the new client right away (its first version carries its secrets), then verify it'),
    ...targetOptions,
  },
  examples: [
    {
      env: 'UPSTREAM_TOKEN=tok-acme',
      args: 'add acme --from-env',
      what: 'a client: its env section and .secrets.acme, UPSTREAM_TOKEN from the environment, API_KEY generated',
    },
    { env: 'UPSTREAM_TOKEN=tok-globex', args: 'add globex --from-env --deploy --local', what: 'and deploy it to the local edge at once' },
    {
      env: 'UPSTREAM_TOKEN=tok-initech',
      args: 'add initech --from-env --auth key,oauth --local',
      what: 'a client whose people sign in with OAuth (for ChatGPT and Claude connectors), its key still working',
    },
  ],
  access: 'write',
  run: async ({ args, flags, ctx }) => (await import('../run/add.js')).runAdd(ctx, { ...args, ...flags }),
});
