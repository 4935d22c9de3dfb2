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
    for: text('--for <host>', `the MCP host: ${HOSTS.join(', ')} (chatgpt: OAuth only, for clients that offer it)`),
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
  examples: [
    { args: 'connect acme --for claude-code --local', what: "Claude Code's configuration for acme's worker on the local edge" },
    {
      args: 'connect --all --for cursor --write host-configs',
      what: "every client's Cursor configuration, one file per client under host-configs/",
    },
  ],
  access: 'read',
  run: async ({ args, flags, ctx }) => (await import('../run/connect.js')).runConnect(ctx, { ...args, ...flags }),
});
