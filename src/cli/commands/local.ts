import type { Command } from 'commander';
import type { FaultSettings } from '../../local/admin/faults.js';
import type { EdgeInfo } from '../../local/lifecycle/edge-file.js';
import type { Output } from '../../ui/output.js';
import { ExitCode, usageError } from '../../util/errors.js';
import { parseRate } from '../../util/rate.js';
import { action } from '../action.js';
import { commandContext } from '../context.js';

const DEFAULT_PORT = '8787';

interface StartOptions {
  port: string;
  detach?: boolean;
  allowLoopbackUpstream?: boolean;
  latencyMs?: string;
  propagationMs?: string;
  errorRate?: string;
  throttle?: string;
}

export function registerLocal(program: Command): void {
  const local = program
    .command('local')
    .description('a local Cloudflare-compatible edge: wrangler and the cloudflare SDK deploy to it, workerd runs what they deploy');

  local
    .command('start')
    .description('start the local edge (foreground; Ctrl-C stops it)')
    .option('--port <n>', `port on 127.0.0.1 (0 picks a free one; without --port, a free one when ${DEFAULT_PORT} is taken)`, DEFAULT_PORT)
    .option('--detach', 'run in the background and return once it is ready')
    .option('--allow-loopback-upstream', "let workers fetch this machine's loopback (a mock upstream); Cloudflare never allows it")
    .option('--latency-ms <n>', 'delay every API answer by N milliseconds')
    .option('--propagation-ms <n>', 'a deployment takes effect N milliseconds after the API answered (the old code answers meanwhile)')
    .option('--error-rate <r>', 'answer this fraction (0..1) of API calls with a 5xx')
    .option('--throttle <requests/seconds>', 'answer 429 with Retry-After above N requests per SECONDS, e.g. 100/60')
    .action(
      action(async (options: StartOptions, command: Command) => {
        const ctx = commandContext(command);
        const port = parsePort(options.port);
        // 8787 is wrangler dev's default too: unless it was asked for by name, a taken 8787 means any free port.
        const portNamed = command.getOptionValueSource('port') === 'cli';
        const faults = parseFaults(options);
        const { DETACHED_ENV, edgeEnv, edgeLogPath, nodeResolverHint, startDetached } = await import('../../local/lifecycle/detach.js');
        const { localEdgeJson } = await import('../../ui/json/local.js');
        const notePort = (actual: number) => {
          if (!portNamed && actual !== port)
            ctx.output.warn(`port ${port} is taken (wrangler dev uses it too), so the edge listens on port ${actual}`);
        };
        if (options.detach) {
          const args = [...(portNamed ? ['--port', String(port)] : []), ...forwardedArgs(options)];
          const info = await startDetached({ projectDir: ctx.cwd, startArgs: args });
          notePort(info.port);
          ctx.output.result(localEdgeJson(info));
          ctx.output.success(`local edge running in the background (pid ${info.pid}), log: ${edgeLogPath(ctx.cwd)}`);
          printConnection(ctx.output, info, nodeResolverHint());
          return;
        }
        const { startEdge } = await import('../../local/edge.js');
        const { edgeFilePath: edgeFilePathOf } = await import('../../local/lifecycle/edge-file.js');
        // Miniflare installs SIGINT/SIGTERM/SIGHUP handlers that kill workerd and exit at once; the
        // foreground edge takes those signals over so that it stops cleanly (edge.json removed, exit 0).
        const inherited = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
        const edge = await startEdge({
          projectDir: ctx.cwd,
          port,
          anyPortIfTaken: !portNamed,
          allowLoopbackUpstream: options.allowLoopbackUpstream ?? false,
          faults,
          onLog: (log) =>
            ctx.output.info(
              `${log.worker ? `[${log.worker}] ` : ''}${log.level === 'log' || log.level === 'info' ? '' : `${log.level}: `}${log.message}`,
            ),
        });
        notePort(edge.info.port);
        ctx.output.result(localEdgeJson(edge.info));
        // A detached edge writes to edge.log, and CI keeps the stderr of a --json run: the token stays in edge.json (0600) only.
        if (process.env[DETACHED_ENV] || ctx.json)
          ctx.output.info(`# connection details (with the token): ${edgeFilePathOf(ctx.cwd)} — or run: mcp-fleet local env`);
        else printEnv(ctx.output, edgeEnv(edge.info));
        printConnection(ctx.output, edge.info, nodeResolverHint());
        ctx.output.success(`local edge ready on ${edge.info.apiBaseUrl} (pid ${edge.info.pid}) — Ctrl-C stops it`);
        for (const signal of SIGNALS) {
          for (const listener of process.listeners(signal)) if (!inherited.get(signal)?.has(listener)) process.off(signal, listener);
        }
        await waitForSignal();
        ctx.output.info('stopping the local edge…');
        // A second signal while stopping ends the process at once.
        const hurry = () => process.exit(130);
        for (const signal of SIGNALS) process.once(signal, hurry);
        await edge.stop();
        for (const signal of SIGNALS) process.off(signal, hurry);
        ctx.output.success('local edge stopped');
      }),
    );

  local
    .command('env')
    .description('print export lines that point wrangler, the cloudflare SDK and curl at the local edge')
    .action(
      action(async (_options: unknown, command: Command) => {
        const ctx = commandContext(command);
        const { edgeFilePath, readEdgeInfo } = await import('../../local/lifecycle/edge-file.js');
        const { edgeProblemError, verifyEdge } = await import('../../local/lifecycle/edge-identity.js');
        const { edgeEnv, nodeResolverHint } = await import('../../local/lifecycle/detach.js');
        const { localEnvJson } = await import('../../ui/json/local.js');
        const info = await readEdgeInfo(ctx.cwd);
        // These lines point wrangler at the recorded port with the token: only if the edge there proves itself.
        const problem = await verifyEdge(info);
        if (problem) throw edgeProblemError(problem, edgeFilePath(ctx.cwd));
        const env = edgeEnv(info);
        ctx.output.result(localEnvJson(env, info, nodeResolverHint()));
        // The export line is the token itself: under --json it is in the document only, not on stderr too.
        if (!ctx.json) printEnv(ctx.output, env);
        ctx.output.info(`# Node clients resolve *.localhost with: NODE_OPTIONS="${nodeResolverHint().nodeOptions}"`);
      }),
    );

  local
    .command('status')
    .description('is the local edge running, and which workers does it serve (exit 1 when it is not)')
    .action(
      action(async (_options: unknown, command: Command): Promise<ExitCode> => {
        const ctx = commandContext(command);
        const { edgeStatus, nodeResolverHint } = await import('../../local/lifecycle/detach.js');
        const { localStatusJson } = await import('../../ui/json/local.js');
        const status = await edgeStatus(ctx.cwd);
        ctx.output.result(localStatusJson(status, nodeResolverHint()));
        if (!status.running) {
          ctx.output.info(
            status.stale
              ? `local edge not running (edge.json names pid ${status.info?.pid}, which is gone or is not this edge)`
              : 'local edge not running',
          );
          ctx.output.info('Start it with: mcp-fleet local start --detach');
          return ExitCode.failed;
        }
        const { info } = status;
        ctx.output.success(`local edge running (pid ${info.pid}) since ${info.startedAt}`);
        printConnection(ctx.output, info, nodeResolverHint());
        const workers = status.workers ?? [];
        if (workers.length === 0) ctx.output.info('no workers deployed');
        for (const worker of workers) {
          ctx.output.info(
            `  ${worker.name}  ${worker.url}  ${worker.running ? 'running' : 'not running'}  secrets: ${worker.secrets.length ? worker.secrets.join(', ') : '(none)'}`,
          );
        }
        return ExitCode.ok;
      }),
    );

  local
    .command('stop')
    .description('stop the local edge started with --detach')
    .action(
      action(async (_options: unknown, command: Command) => {
        const ctx = commandContext(command);
        const { stopEdge } = await import('../../local/lifecycle/detach.js');
        const { localStopJson } = await import('../../ui/json/local.js');
        const outcome = await stopEdge(ctx.cwd);
        ctx.output.result(localStopJson(outcome));
        if (outcome.kind === 'stopped') ctx.output.success(`local edge stopped (pid ${outcome.pid})`);
        else {
          const orphans =
            outcome.orphansStopped > 0
              ? `, stopped ${outcome.orphansStopped} orphaned workerd process${outcome.orphansStopped === 1 ? '' : 'es'}`
              : '';
          ctx.output.info(outcome.removedStale ? `local edge not running (removed a stale edge.json${orphans})` : 'local edge not running');
        }
      }),
    );
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`--port must be a port number from 0 to 65535 (got "${text}")`);
  }
  return port;
}

function parseMs(flag: string, text: string): number {
  const ms = Number(text);
  if (!/^\d+$/.test(text.trim()) || ms > 600_000)
    throw usageError(`${flag} must be a whole number of milliseconds from 0 to 600000 (got "${text}")`);
  return ms;
}

function parseFaults(options: StartOptions): Partial<FaultSettings> {
  const faults: Partial<FaultSettings> = {};
  if (options.latencyMs !== undefined) faults.latencyMs = parseMs('--latency-ms', options.latencyMs);
  if (options.propagationMs !== undefined) faults.propagationMs = parseMs('--propagation-ms', options.propagationMs);
  if (options.errorRate !== undefined) {
    const rate = Number(options.errorRate);
    if (options.errorRate.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw usageError(`--error-rate must be a fraction from 0 to 1, e.g. 0.1 (got "${options.errorRate}")`);
    }
    faults.errorRate = rate;
  }
  if (options.throttle !== undefined) {
    const rate = parseRate(options.throttle);
    if (!rate) throw usageError(`--throttle must be N/SECONDS, e.g. 100/60 (got "${options.throttle}")`);
    faults.throttle = { limit: rate.requests, windowSeconds: rate.seconds };
  }
  return faults;
}

/** What the detached edge is started with besides --port. */
function forwardedArgs(options: StartOptions): string[] {
  const args: string[] = options.allowLoopbackUpstream ? ['--allow-loopback-upstream'] : [];
  if (options.latencyMs !== undefined) args.push('--latency-ms', options.latencyMs);
  if (options.propagationMs !== undefined) args.push('--propagation-ms', options.propagationMs);
  if (options.errorRate !== undefined) args.push('--error-rate', options.errorRate);
  if (options.throttle !== undefined) args.push('--throttle', options.throttle);
  return args;
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

function printEnv(output: Output, env: Record<string, string>): void {
  output.info(
    `export ${Object.entries(env)
      .map(([key, value]) => `${key}=${shellQuote(value)}`)
      .join(' ')}`,
  );
}

function printConnection(output: Output, info: EdgeInfo, hint: { nodeOptions: string }): void {
  output.info(`# workers answer at ${info.workerUrlTemplate}${info.workerPathUrlTemplate ? ` (or ${info.workerPathUrlTemplate})` : ''}`);
  output.info(`# Node clients (e.g. the MCP Inspector) resolve *.localhost with: NODE_OPTIONS="${hint.nodeOptions}"`);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const signal of SIGNALS) process.off(signal, done);
      resolve();
    };
    for (const signal of SIGNALS) process.once(signal, done);
  });
}
