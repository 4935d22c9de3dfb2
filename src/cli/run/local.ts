import type { FaultSettings } from '../../local/admin/faults.js';
import { DEFAULT_EDGE_PORT } from '../../local/lifecycle/edge-port.js';
import { localEdgeJson, localEnvJson, localStatusJson, localStopJson } from '../../ui/json/local.js';
import { ExitCode } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import type { CommandContext } from '../define.js';
import { snapshotSignalListeners, stopOrHurry, waitForSignal } from '../foreground.js';

export interface StartRequest {
  port: number | undefined;
  detach: boolean;
  allowLoopbackUpstream: boolean;
  latencyMs: number | undefined;
  propagationMs: number | undefined;
  errorRate: number | undefined;
  throttle: { limit: number; windowSeconds: number } | undefined;
}

function faultsOf(request: StartRequest): Partial<FaultSettings> {
  return {
    ...(request.latencyMs === undefined ? {} : { latencyMs: request.latencyMs }),
    ...(request.propagationMs === undefined ? {} : { propagationMs: request.propagationMs }),
    ...(request.errorRate === undefined ? {} : { errorRate: request.errorRate }),
    ...(request.throttle === undefined ? {} : { throttle: request.throttle }),
  };
}

/** What the detached edge is started with besides --port: the same settings, as flags. */
function forwardedArgs(request: StartRequest): string[] {
  const args: string[] = request.allowLoopbackUpstream ? ['--allow-loopback-upstream'] : [];
  if (request.latencyMs !== undefined) args.push('--latency-ms', String(request.latencyMs));
  if (request.propagationMs !== undefined) args.push('--propagation-ms', String(request.propagationMs));
  if (request.errorRate !== undefined) args.push('--error-rate', String(request.errorRate));
  if (request.throttle !== undefined) args.push('--throttle', `${request.throttle.limit}/${request.throttle.windowSeconds}`);
  return args;
}

export async function runLocalStart(ctx: CommandContext, request: StartRequest): Promise<ExitCode | undefined> {
  // 8787 is wrangler dev's default too: unless it was asked for by name, a taken 8787 means any free port.
  const portNamed = request.port !== undefined;
  const port = request.port ?? DEFAULT_EDGE_PORT;
  const [{ DETACHED_ENV, edgeEnv, edgeLogPath, nodeResolverHint, startDetached }, report] = await Promise.all([
    import('../../local/lifecycle/detach.js'),
    import('../../ui/local-report.js'),
  ]);
  const notePort = (actual: number) => {
    if (!portNamed && actual !== port)
      ctx.output.warn(`port ${port} is taken (wrangler dev uses it too), so the edge listens on port ${actual}`);
  };
  const { rememberLocalTarget } = await import('../../local/lifecycle/remembered-target.js');
  if (request.detach) {
    const args = [...(portNamed ? ['--port', String(port)] : []), ...forwardedArgs(request)];
    const info = await startDetached({ projectDir: ctx.cwd, startArgs: args });
    notePort(info.port);
    await rememberLocalTarget(ctx.cwd);
    ctx.output.result(localEdgeJson(info));
    ctx.output.success(`local edge running in the background (pid ${info.pid}), log: ${edgeLogPath(ctx.cwd)}`);
    report.printConnection(ctx.output, info, nodeResolverHint());
    ctx.output.info(report.rememberedNote());
    return undefined;
  }
  const [{ startEdge }, { edgeFilePath }] = await Promise.all([
    import('../../local/edge.js'),
    import('../../local/lifecycle/edge-file.js'),
  ]);
  const signals = snapshotSignalListeners();
  const edge = await startEdge({
    projectDir: ctx.cwd,
    port,
    anyPortIfTaken: !portNamed,
    allowLoopbackUpstream: request.allowLoopbackUpstream,
    faults: faultsOf(request),
    onLog: (log) =>
      ctx.output.info(
        `${log.worker ? `[${log.worker}] ` : ''}${log.level === 'log' || log.level === 'info' ? '' : `${log.level}: `}${log.message}`,
      ),
  });
  notePort(edge.info.port);
  // A detached edge's parent remembers it (above), once it knows the edge is ready.
  if (!process.env[DETACHED_ENV]) await rememberLocalTarget(ctx.cwd);
  ctx.output.result(localEdgeJson(edge.info));
  // A detached edge writes to edge.log, and CI keeps the stderr of a --json run: the token stays in edge.json (0600) only.
  if (process.env[DETACHED_ENV] || ctx.json)
    ctx.output.info(`# connection details (with the token): ${edgeFilePath(ctx.cwd)} — or run: ${commandLine('local', 'env')}`);
  else report.printEnv(ctx.output, edgeEnv(edge.info));
  report.printConnection(ctx.output, edge.info, nodeResolverHint());
  ctx.output.success(`local edge ready on ${edge.info.apiBaseUrl} (pid ${edge.info.pid}) — Ctrl-C stops it`);
  if (!process.env[DETACHED_ENV]) ctx.output.info(report.rememberedNote());
  signals.removeAddedSince();
  const stoppedItself = await Promise.race([waitForSignal().then(() => undefined), edge.stoppedItself]);
  if (stoppedItself !== undefined) {
    // Its project moved away (edge.ts said why in the log): nothing more may be written by the old path.
    ctx.output.problem(`the local edge stopped: ${stoppedItself}`);
    return ExitCode.failed;
  }
  ctx.output.info('stopping the local edge…');
  await stopOrHurry(() => edge.stop());
  ctx.output.success('local edge stopped');
  if (!process.env[DETACHED_ENV]) ctx.output.info(report.stillRememberedNote());
  return undefined;
}

export async function runLocalEnv(ctx: CommandContext): Promise<undefined> {
  const [{ edgeFilePath, readEdgeInfo }, { edgeProblemError, verifyEdge }, { edgeEnv, nodeResolverHint }, report] = await Promise.all([
    import('../../local/lifecycle/edge-file.js'),
    import('../../local/lifecycle/edge-identity.js'),
    import('../../local/lifecycle/detach.js'),
    import('../../ui/local-report.js'),
  ]);
  const info = await readEdgeInfo(ctx.cwd);
  // These lines point wrangler at the recorded port with the token: only if the edge there proves itself.
  const problem = await verifyEdge(info);
  if (problem) throw edgeProblemError(problem, edgeFilePath(ctx.cwd));
  const env = edgeEnv(info);
  ctx.output.result(localEnvJson(env, info, nodeResolverHint()));
  // The export line is the token itself: under --json it is in the document only, not on stderr too.
  if (!ctx.json) report.printEnv(ctx.output, env);
  ctx.output.info(`# Node clients resolve *.localhost with: NODE_OPTIONS="${nodeResolverHint().nodeOptions}"`);
  return undefined;
}

export async function runLocalStatus(ctx: CommandContext): Promise<ExitCode> {
  const [{ edgeStatus, nodeResolverHint }, report] = await Promise.all([
    import('../../local/lifecycle/detach.js'),
    import('../../ui/local-report.js'),
  ]);
  const status = await edgeStatus(ctx.cwd);
  const remembered = await (await import('../../local/lifecycle/remembered-target.js'))
    .readRememberedTarget(ctx.cwd)
    .catch(() => undefined);
  ctx.output.result(localStatusJson(status, nodeResolverHint()));
  if (!status.running) {
    for (const line of report.edgeNotRunning(status.info?.pid, status.stale)) ctx.output.info(line);
    if (remembered) ctx.output.info(report.stillRememberedNote());
    return ExitCode.failed;
  }
  if (remembered) ctx.output.info(report.rememberedNote());
  const { info } = status;
  ctx.output.success(`local edge running (pid ${info.pid}) since ${info.startedAt}`);
  report.printConnection(ctx.output, info, nodeResolverHint());
  const workers = status.workers ?? [];
  if (workers.length === 0) ctx.output.info('no workers deployed');
  for (const worker of workers) {
    ctx.output.info(
      `  ${worker.name}  ${worker.url}  ${worker.running ? 'running' : 'not running'}  secrets: ${worker.secrets.length ? worker.secrets.join(', ') : '(none)'}`,
    );
  }
  return ExitCode.ok;
}

export async function runLocalStop(ctx: CommandContext): Promise<undefined> {
  const [{ stopEdge }, { forgetRememberedTarget }] = await Promise.all([
    import('../../local/lifecycle/detach.js'),
    import('../../local/lifecycle/remembered-target.js'),
  ]);
  const outcome = await stopEdge(ctx.cwd);
  // After the edge: a stop that failed leaves the project acting on the edge it still has.
  const forgotten = await forgetRememberedTarget(ctx.cwd);
  ctx.output.result(localStopJson(outcome));
  if (outcome.kind === 'stopped') ctx.output.success(`local edge stopped (pid ${outcome.pid})`);
  else {
    const orphans =
      outcome.orphansStopped > 0
        ? `, stopped ${outcome.orphansStopped} orphaned workerd process${outcome.orphansStopped === 1 ? '' : 'es'}`
        : '';
    ctx.output.info(outcome.removedStale ? `local edge not running (removed a stale edge.json${orphans})` : 'local edge not running');
  }
  if (forgotten) ctx.output.info("this project's commands act on Cloudflare again (local start makes the edge their default)");
  return undefined;
}
