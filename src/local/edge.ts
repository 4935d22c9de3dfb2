import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { statePaths } from '../util/state-dir.js';
import { type FaultSettings, Faults } from './admin/faults.js';
import { pathOnly, RequestLog } from './admin/request-log.js';
import { ADMIN_PREFIX, createAdminRoutes } from './admin/routes.js';
import { AnalyticsStore } from './analytics/store.js';
import { createControlPlane, scriptNamedIn } from './control-plane/index.js';
import { KvData } from './kv/kv-data.js';
import { createKvStorage } from './kv/kv-storage.js';
import { KvNamespaces } from './kv/namespaces.js';
import { installWorkerdGuard } from './lifecycle/die-with-parent.js';
import { EDGE_PATHS, type EdgeInfo, edgeUrls } from './lifecycle/edge-file.js';
import { identityProof } from './lifecycle/edge-identity.js';
import { claimProject, goLive, listenOnLoopback, shutDown } from './lifecycle/edge-lifecycle.js';
import { anchorProject, watchProject } from './lifecycle/project-anchor.js';
import { type ApiResponse, CfCode, errors, fail } from './net/envelope.js';
import { toWebRequest, writeApi } from './net/http-bridge.js';
import { WorkerPorts } from './net/worker-ports.js';
import { createEgress } from './runtime/egress.js';
import { createRuntime, type WorkerLog } from './runtime/runtime.js';
import { TailHub } from './runtime/tail-hub.js';
import { createWorkerProxy, WORKER_HEADER, type WorkerTarget } from './runtime/worker-proxy.js';
import { desiredWorkers } from './runtime/worker-spec.js';
import { summarizeWorkers } from './runtime/worker-summary.js';
import { EdgeStore } from './store.js';

/**
 * The local edge: one HTTP server on loopback that serves
 *   - the Cloudflare API under /client/v4 (control-plane/), with fault injection and a request log;
 *   - admin routes under /__edge (admin-routes.ts, same bearer token);
 *   - worker traffic, routed by Host `<worker>.localhost:<port>` (or, for clients that cannot resolve
 *     *.localhost, by the path prefix /__workers/<worker>/… or the header x-mcp-fleet-worker),
 *     proxied with streaming to the worker's own socket in workerd (worker-proxy.ts);
 *   - `wrangler tail` WebSockets under /__edge/tails/ (tail-hub.ts).
 * Workers' own subrequests leave through the egress (egress.ts), which keeps the host's loopback
 * and private networks out of their reach, as Cloudflare does.
 */

export interface StartEdgeOptions {
  projectDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** When `port` is taken, listen on any free port instead of failing (the default port was not asked for). */
  anyPortIfTaken?: boolean;
  /** Let workers fetch 127.0.0.1 / localhost (a mock upstream on this machine). Off: they cannot, as on Cloudflare. */
  allowLoopbackUpstream?: boolean;
  faults?: Partial<FaultSettings>;
  /** Worker console output and edge notices. */
  onLog?: (log: WorkerLog) => void;
  /** Workers per workerd process (see runtime.ts). */
  workersPerProcess?: number;
}

export interface RunningEdge {
  info: EdgeInfo;
  faults: Faults;
  requests: RequestLog;
  analytics: AnalyticsStore;
  stop(): Promise<void>;
  /** Resolves with the reason when the edge stops on its own: its project was moved or removed (project-anchor.ts). */
  stoppedItself: Promise<string>;
}

const WORKER_PATH_PREFIX = EDGE_PATHS.workers;
const API_PREFIX = EDGE_PATHS.api;

export async function startEdge(options: StartEdgeOptions): Promise<RunningEdge> {
  const { projectDir } = options;
  await claimProject(projectDir);
  // Once the project is moved away, the edge stops rather than write by its old path.
  let stopItself: (reason: string) => void = () => undefined;
  const watch = watchProject(await anchorProject(projectDir), (reason) => stopItself(reason));
  const store = await EdgeStore.open(projectDir, { beforeWrite: () => watch.beforeWrite() });
  const faults = new Faults(options.faults);
  const requests = new RequestLog();
  const analytics = new AnalyticsStore();
  // Known once the server listens; nothing is routed before then.
  let port = 0;
  const tails = new TailHub(() => `ws://127.0.0.1:${port}`);
  const egress = createEgress({
    allowLoopback: options.allowLoopbackUpstream ?? false,
    onBlocked: ({ worker, target, addressClass }) =>
      options.onLog?.({
        level: 'warn',
        worker,
        message: `blocked a subrequest to ${target} (${addressClass === 'name' ? 'a name that resolves to loopback or private addresses' : `a ${addressClass} address`}): workers cannot reach this machine or private networks, on Cloudflare or here${addressClass === 'loopback' ? ' (local start --allow-loopback-upstream allows loopback for a mock upstream)' : ''}`,
      }),
  });
  const guard = await installWorkerdGuard(statePaths.workerdGuard(projectDir));
  // Workers KV: namespaces in the edge's state, their data in Miniflare's storage shared with the workers.
  const kvStorage = createKvStorage(store.stateDir, guard);
  const kv = { namespaces: await KvNamespaces.open(store.stateDir, () => watch.beforeWrite()), data: new KvData(kvStorage) };
  const runtime = createRuntime({
    desired: () => desiredWorkers(store),
    onDataPoint: (point) => analytics.add(point),
    onLog: options.onLog,
    workersPerProcess: options.workersPerProcess,
    egress,
    tails,
    guard,
    kvStorage,
  });
  const controlPlane = createControlPlane({
    store,
    sync: () => runtime.sync(),
    tails,
    analytics,
    propagationMs: () => faults.current.propagationMs,
    kv,
  });
  const proxy = createWorkerProxy(runtime);
  const startedAt = new Date().toISOString();
  const workerUrl = (name: string) => `http://${name}.localhost:${port}`;
  const ports = await WorkerPorts.open(
    store.stateDir,
    (name, req, res, expectsContinue) => {
      void proxy({ name, pathAndQuery: req.url ?? '/', host: req.headers.host ?? '127.0.0.1' }, req, res, expectsContinue).catch(() =>
        res.destroy(),
      );
    },
    () => watch.beforeWrite(),
  );
  /** Where a worker answers: its own loopback port while it is an OAuth server (worker-ports.ts), else <name>.localhost. */
  const originOf = async (name: string): Promise<string> => {
    const script = store.getScript(name);
    const version = script ? store.activeVersion(script) : undefined;
    const modes = version?.bindings.find((binding) => binding.name === 'AUTH_MODES' && binding.type === 'plain_text')?.text;
    const oauth = typeof modes === 'string' && modes.split(',').some((mode) => mode.trim() === 'oauth');
    return oauth ? ports.originOf(name) : workerUrl(name);
  };
  const admin = createAdminRoutes({
    faults,
    requests,
    analytics,
    authorized: controlPlane.authorized,
    health: () => ({ status: 'ok', pid: process.pid, port, startedAt }),
    identity: (nonce) => {
      const who = { pid: process.pid, port, startedAt };
      return { ...who, proof: identityProof(store.identity.token, nonce, who) };
    },
    workers: async () => {
      await runtime.idle();
      return summarizeWorkers(store, runtime.running(), workerUrl);
    },
    origin: async (name) => ({ url: await originOf(name) }),
  });

  async function route(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    const path = pathOnly(req.url ?? '/');
    const target = workerTargetOf(req, port);
    if (target) return proxy(target, req, res, expectsContinue);
    if (expectsContinue) res.writeContinue();
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) return api(req, res, path.slice(API_PREFIX.length) || '/');
    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
      const request = toWebRequest(req);
      writeApi(res, await admin(request, path));
      // A body no route read is drained, so that the connection can carry the next request.
      if (!request.bodyUsed) req.resume();
      return;
    }
    writeApi(res, errors.noRoute(req.method ?? 'GET', path).toResponse());
  }

  /** The API behind fault injection; every call, answered by a fault or not, goes into the request log. */
  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const started = performance.now();
    const decision = faults.decide(req.method, path);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    let response: ApiResponse;
    let routeName: string | null = null;
    let script = scriptNamedIn(path);
    let fault: 'error' | 'rate-limited' | null = null;
    if (decision.kind === 'error') {
      fault = 'error';
      req.resume();
      response = fail(decision.status, CfCode.internal, 'Internal server error (injected by the local edge)');
    } else if (decision.kind === 'rate-limited') {
      fault = 'rate-limited';
      req.resume();
      response = fail(429, CfCode.rateLimited, 'Please wait and consider throttling your request speed', {
        'retry-after': String(decision.retryAfterSeconds),
      });
    } else {
      const answer = await controlPlane.handle(toWebRequest(req), path);
      ({ route: routeName, script } = answer);
      response = answer;
    }
    writeApi(res, response);
    requests.add({
      time: new Date().toISOString(),
      method: req.method ?? 'GET',
      path: `${API_PREFIX}${path}`,
      route: routeName,
      script,
      status: response.status,
      ms: Math.round(performance.now() - started),
      fault,
      ignored: response.ignored ?? [],
    });
  }

  const serve = (req: IncomingMessage, res: ServerResponse, expectsContinue = false) => {
    void route(req, res, expectsContinue).catch((error: unknown) => {
      if (!res.headersSent)
        writeApi(
          res,
          fail(500, CfCode.internal, `Internal error in the local edge: ${error instanceof Error ? error.message : String(error)}`),
        );
      else res.destroy();
    });
  };
  const server = createServer((req, res) => serve(req, res));
  // A client's Expect: 100-continue is answered by the worker (through workerd), not by Node on its behalf.
  server.on('checkContinue', (req, res) => serve(req, res, true));
  server.on('upgrade', (req, socket, head) => {
    if (!tails.attach(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  server.keepAliveTimeout = 5_000;

  // A start that fails stops watching the project too.
  const unwatch = (error: unknown): never => {
    watch.close();
    throw error;
  };
  port = await listenOnLoopback(server, options.port ?? 0, options.anyPortIfTaken ?? false).catch(unwatch);
  const info: EdgeInfo = {
    ...edgeUrls(port),
    accountId: store.identity.accountId,
    token: store.identity.token,
    pid: process.pid,
    port,
    startedAt,
  };
  const live = { projectDir, info, server, runtime, kvStorage, ports, tails, onLog: options.onLog };
  await goLive(live).catch(unwatch);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    watch.close();
    stopping ??= shutDown(live);
    return stopping;
  };
  stopItself = (reason) => {
    options.onLog?.({
      level: 'error',
      worker: null,
      message: `the local edge stops: ${reason}; it writes nothing outside the project it was started in`,
    });
    void stop();
  };
  const stoppedItself = watch.gone.then(async (reason) => {
    await stop();
    return reason;
  });
  return { info, faults, requests, analytics, stop, stoppedItself };
}

/** The worker a request is for, by Host, then the header, then the path prefix; undefined for the API and admin routes. */
function workerTargetOf(req: IncomingMessage, port: number): WorkerTarget | undefined {
  const rawUrl = req.url ?? '/';
  const host = req.headers.host;
  const fromHost = workerFromHost(host);
  if (fromHost && host) return { name: fromHost, pathAndQuery: rawUrl, host };
  const fromHeader = req.headers[WORKER_HEADER];
  if (typeof fromHeader === 'string' && fromHeader)
    return { name: fromHeader, pathAndQuery: rawUrl, host: `${fromHeader}.localhost:${port}` };
  if (!pathOnly(rawUrl).startsWith(WORKER_PATH_PREFIX)) return undefined;
  const rest = rawUrl.slice(WORKER_PATH_PREFIX.length);
  const slash = rest.search(/[/?]/);
  const name = slash === -1 ? rest : rest.slice(0, slash);
  const tail = slash === -1 ? '/' : rest.slice(slash);
  return { name, pathAndQuery: tail.startsWith('/') ? tail : `/${tail}`, host: `${name}.localhost:${port}` };
}

/** `acme.localhost:8787` → `acme`. */
export function workerFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const match = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.localhost\.?(?::\d+)?$/i.exec(host.trim());
  return match?.[1]?.toLowerCase();
}
