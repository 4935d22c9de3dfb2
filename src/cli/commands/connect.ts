import { HOSTS } from '../../ops/connect/hosts.js';
import { clientsArg, defineCommand } from '../define.js';
import { all, flag, targetOptions, text, url, yes } from '../options.js';

export const connect = defineCommand({
  name: 'connect',
  description:
    "print (or write) the configuration an MCP host needs to reach a client's worker, and what its key-based auth supports there",
  args: [clientsArg('clients to connect (or --all)')],
  options: {
    all,
    for: text('--for <host>', `the MCP host: ${HOSTS.join(', ')} (not chatgpt: OAuth only)`),
    inlineKey: flag(
      '--inline-key',
      'embed the key itself (only at a terminal, or with --yes); by default the configuration refers to MCP_FLEET_<CLIENT>_API_KEY',
    ),
    yes: yes('confirm --inline-key where the output is not a terminal'),
    write: text(
      '--write <path>',
      "a host's config file: merge these clients' entries into it, keeping every other entry (written only when every client succeeded); a directory: write <dir>/<client>/<file> for each (not inside a git repository unless ignored)",
    ),
    ...targetOptions,
    url,
  },
  access: 'read',
  run: async ({ args, flags, ctx }) => (await import('../run/connect.js')).runConnect(ctx, { ...args, ...flags }),
});
