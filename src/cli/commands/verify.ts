import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { TIMEOUT_MS } from '../../util/timeouts.js';
import { clientsArg, defineCommand } from '../define.js';
import { all, concurrency, targetOptions, textWithDefault, timeout, url } from '../options.js';

export const verify = defineCommand({
  name: 'verify',
  description: "smoke-check clients' workers: health, ready, auth, origin, MCP sessions in both generations, identity and key isolation",
  args: [clientsArg('clients to verify (or --all)')],
  options: {
    all,
    ...targetOptions,
    url,
    concurrency: concurrency(DEFAULT_CONCURRENCY.verify),
    timeout: timeout(TIMEOUT_MS.verifyRequest / 1000),
    protocol: textWithDefault(
      '--protocol <generation>',
      'MCP generations every worker must speak: modern (2026-07-28), legacy (2025) or both',
      'both',
    ),
  },
  access: 'read',
  run: async ({ args, flags, ctx }) => (await import('../run/verify.js')).runVerify(ctx, { ...args, ...flags }),
});
