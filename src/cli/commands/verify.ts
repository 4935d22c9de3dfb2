import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { TIMEOUT_MS } from '../../util/timeouts.js';
import { clientsArg, defineCommand } from '../define.js';
import { all, concurrency, flag, summary, targetOptions, textWithDefault, timeout, url } from '../options.js';

export const verify = defineCommand({
  name: 'verify',
  description: "smoke-check clients' workers: health, ready, auth, origin, MCP sessions in both generations, identity and key isolation",
  args: [clientsArg('clients to verify (or --all)')],
  options: {
    all,
    summary,
    ...targetOptions,
    url,
    concurrency: concurrency(DEFAULT_CONCURRENCY.verify),
    timeout: timeout(TIMEOUT_MS.verifyRequest / 1000),
    protocol: textWithDefault(
      '--protocol <generation>',
      'MCP generations every worker must speak: modern (2026-07-28), legacy (2025) or both',
      'both',
    ),
    signIn: flag(
      '--sign-in',
      'for clients in oauth mode, also the whole OAuth flow: register, sign in with an invitation, tokens, refresh, revoke (4 API calls each; what it made is deleted)',
    ),
  },
  examples: [
    { args: 'verify --all --local', what: 'every client on the local edge: health, ready, auth, origin, MCP, identity, isolation' },
    { args: 'verify --all', what: 'the same on Cloudflare, e.g. from CI' },
    { args: 'verify acme --url acme=https://mcp.acme.example', what: 'a worker behind its own domain' },
    { args: 'verify acme --sign-in', what: "acme's OAuth end to end, as a host and a person would go through it" },
  ],
  access: 'read',
  run: async ({ args, flags, ctx }) => (await import('../run/verify.js')).runVerify(ctx, { ...args, ...flags }),
});
