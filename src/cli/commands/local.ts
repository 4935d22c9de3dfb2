import { DEFAULT_EDGE_PORT } from '../../local/lifecycle/edge-port.js';
import { usageError } from '../../util/errors.js';
import { parseRate } from '../../util/rate.js';
import { type CommandGroup, defineCommand } from '../define.js';
import { flag, parsed } from '../options.js';

export const localGroup: CommandGroup = {
  name: 'local',
  description: 'a local Cloudflare-compatible edge: wrangler and the cloudflare SDK deploy to it, workerd runs what they deploy',
};

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`--port must be a port number from 0 to 65535 (got "${text}")`);
  }
  return port;
}

function milliseconds(flagName: string): (text: string) => number {
  return (text) => {
    const ms = Number(text);
    if (!/^\d+$/.test(text.trim()) || ms > 600_000)
      throw usageError(`${flagName} must be a whole number of milliseconds from 0 to 600000 (got "${text}")`);
    return ms;
  };
}

function parseErrorRate(text: string): number {
  const rate = Number(text);
  if (text.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw usageError(`--error-rate must be a fraction from 0 to 1, e.g. 0.1 (got "${text}")`);
  }
  return rate;
}

function parseThrottle(text: string): { limit: number; windowSeconds: number } {
  const rate = parseRate(text);
  if (!rate) throw usageError(`--throttle must be N/SECONDS, e.g. 100/60 (got "${text}")`);
  return { limit: rate.requests, windowSeconds: rate.seconds };
}

export const localStart = defineCommand({
  name: 'local start',
  description: 'start the local edge (foreground; Ctrl-C stops it)',
  args: [],
  options: {
    // No commander default: a port asked for by name must be that port; the default may move when taken.
    port: parsed(
      '--port <n>',
      `port on 127.0.0.1 (default: ${DEFAULT_EDGE_PORT}, or a free one when it is taken; 0 picks a free one)`,
      parsePort,
    ),
    detach: flag('--detach', 'run in the background and return once it is ready'),
    allowLoopbackUpstream: flag(
      '--allow-loopback-upstream',
      "let workers fetch this machine's loopback (a mock upstream); Cloudflare never allows it",
    ),
    latencyMs: parsed('--latency-ms <n>', 'delay every API answer by N milliseconds', milliseconds('--latency-ms')),
    propagationMs: parsed(
      '--propagation-ms <n>',
      'a deployment takes effect N milliseconds after the API answered (the old code answers meanwhile)',
      milliseconds('--propagation-ms'),
    ),
    errorRate: parsed('--error-rate <r>', 'answer this fraction (0..1) of API calls with a 5xx', parseErrorRate),
    throttle: parsed(
      '--throttle <requests/seconds>',
      'answer 429 with Retry-After above N requests per SECONDS, e.g. 100/60',
      parseThrottle,
    ),
  },
  examples: [
    { args: 'local start --detach', what: 'the local edge in the background (port 8787, or a free one)' },
    {
      args: 'local start --error-rate 0.1 --latency-ms 50',
      what: 'in the foreground, answering a tenth of API calls with a 5xx, each after 50 ms',
    },
  ],
  access: 'none',
  run: async ({ flags, ctx }) => (await import('../run/local.js')).runLocalStart(ctx, flags),
});

export const localEnv = defineCommand({
  name: 'local env',
  description: 'print export lines that point wrangler, the cloudflare SDK and curl at the local edge',
  args: [],
  options: {},
  examples: [{ args: 'local env', what: 'export lines for wrangler, the cloudflare SDK and curl (the token among them)' }],
  access: 'none',
  run: async ({ ctx }) => (await import('../run/local.js')).runLocalEnv(ctx),
});

export const localStatus = defineCommand({
  name: 'local status',
  description: 'is the local edge running, and which workers does it serve (exit 1 when it is not)',
  args: [],
  options: {},
  examples: [{ args: 'local status', what: 'whether the edge runs, and the workers it serves' }],
  access: 'none',
  run: async ({ ctx }) => (await import('../run/local.js')).runLocalStatus(ctx),
});

export const localStop = defineCommand({
  name: 'local stop',
  description: 'stop the local edge started with --detach',
  args: [],
  options: {},
  examples: [{ args: 'local stop', what: 'stop the edge started with --detach' }],
  access: 'none',
  run: async ({ ctx }) => (await import('../run/local.js')).runLocalStop(ctx),
});
