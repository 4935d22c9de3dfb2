import { DEFAULT_CONCURRENCY, DEFAULT_WORKERS_LIMIT } from '../../ops/fleet/defaults.js';
import { usageError } from '../../util/errors.js';
import { clientsArg, defineCommand } from '../define.js';
import { flag, fleetOptions, parsedWithDefault } from '../options.js';

function parseWorkersLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw usageError(`--workers-limit ${value}: expected a whole number of workers, e.g. 500 (Workers Paid) or 100 (Workers Free)`);
  }
  return n;
}

export const status = defineCommand({
  name: 'status',
  description:
    "each client's worker against the project: deployed version, whether it runs the current local build, traffic split, secrets by name, compatibility date; exit 1 on any drift",
  args: [clientsArg('clients to report on (or --all)')],
  options: {
    ...fleetOptions(DEFAULT_CONCURRENCY.api),
    verify: flag('--verify', "also run verify's checks against each worker"),
    workersLimit: parsedWithDefault('--workers-limit <n>', 'workers the account may hold (100 on Workers Free)', parseWorkersLimit, {
      raw: String(DEFAULT_WORKERS_LIMIT),
      help: `${DEFAULT_WORKERS_LIMIT}, Workers Paid`,
    }),
  },
  examples: [
    { args: 'status --all', what: 'what each worker runs against the project, and what drifted' },
    { args: 'status --all --verify --local', what: "and run verify's checks, on the local edge" },
  ],
  access: 'read',
  run: async ({ args, flags, ctx }) => (await import('../run/status.js')).runStatus(ctx, { ...args, ...flags }),
});
