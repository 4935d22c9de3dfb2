import { clientsArg, defineCommand } from '../define.js';
import { all, flag, rateLimit, targetOptions } from '../options.js';

export const logs = defineCommand({
  name: 'logs',
  description:
    "stream clients' worker logs live from Cloudflare's tail: requests, console output, exceptions (Ctrl-C stops and deletes the tails); live only: past logs are in Workers Logs, counts over a window in `metrics`; with --json, one JSON object per line (NDJSON), the last one the summary",
  args: [clientsArg('clients whose logs to stream (or --all)')],
  options: {
    all,
    ...targetOptions,
    follow: flag(
      '--follow',
      'when Cloudflare closes a tail (it expires, or the connection drops), open it again; without it, logs ends then',
    ),
    rateLimit,
  },
  access: 'read',
  run: async ({ args, flags, ctx }) => (await import('../run/logs.js')).runLogs(ctx, { ...args, ...flags }),
});
