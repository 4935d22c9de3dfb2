import { parseArgs } from 'node:util';

/** `npm run bench` options: parsing and the usage text. */

export const USAGE = `usage: npm run bench -- [options]
  --clients N           clients in the fleet (default 20), five secrets each
  --latency-ms MS       latency the local edge adds to every API call (default 50)
  --runs R              runs of every mcp-fleet operation and of the cheap baselines (default 3)
  --slow-runs S         runs of the slow baselines, one wrangler process per key or per client:
                        the secret put loop, the secret bulk loop, the deploy loop (default 1)
  --deploy-runs D       runs of each mcp-fleet deploy --all row (default 2)
  --baseline-clients B  run the wrangler deploy loop on the first B clients only and scale its time
                        to the whole fleet (it is strictly one client after another); default: all
  --startup-runs R      runs of the start-up rows (default 5)
  --only LIST           comma-separated groups: startup,deploy,secrets,verify (default all)
  --keep                keep the temp project (and do not stop the edge) for inspection
  -h, --help`;

export type Group = 'startup' | 'deploy' | 'secrets' | 'verify';
export const GROUPS: readonly Group[] = ['startup', 'deploy', 'secrets', 'verify'];

export interface Options {
  clients: number;
  latencyMs: number;
  runs: number;
  slowRuns: number;
  deployRuns: number;
  /** Clients the wrangler deploy loop runs on (≤ clients). */
  baselineClients: number;
  startupRuns: number;
  only: Set<Group>;
  keep: boolean;
}

export class UsageError extends Error {}

export function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '20' },
      'latency-ms': { type: 'string', default: '50' },
      runs: { type: 'string', default: '3' },
      'slow-runs': { type: 'string', default: '1' },
      'deploy-runs': { type: 'string', default: '2' },
      'baseline-clients': { type: 'string' },
      'startup-runs': { type: 'string', default: '5' },
      only: { type: 'string', default: GROUPS.join(',') },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max)
      throw new UsageError(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  const only = new Set<Group>();
  for (const part of values.only
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    if (!(GROUPS as readonly string[]).includes(part))
      throw new UsageError(`--only ${values.only}: "${part}" is not one of ${GROUPS.join(', ')}`);
    only.add(part as Group);
  }
  const clients = whole('clients', values.clients, 1, 500);
  return {
    clients,
    latencyMs: whole('latency-ms', values['latency-ms'], 0, 600_000),
    runs: whole('runs', values.runs, 1, 100),
    slowRuns: whole('slow-runs', values['slow-runs'], 1, 100),
    deployRuns: whole('deploy-runs', values['deploy-runs'], 1, 100),
    baselineClients: values['baseline-clients'] === undefined ? clients : whole('baseline-clients', values['baseline-clients'], 1, clients),
    startupRuns: whole('startup-runs', values['startup-runs'], 1, 1000),
    only,
    keep: values.keep,
  };
}
