import { rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FleetError, usageError } from '../util/errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/files.js';
import { createControlPlane } from './control-plane/index.js';
import { type EdgeInfo, edgeFilePath, localEdgeDir, readEdgeInfoIfAny } from './edge-file.js';
import { type ApiResponse, CfCode, errors, fail, ok } from './envelope.js';
import { FaultPatchSchema, type FaultSettings, Faults } from './faults.js';
import { isAlive } from './process.js';
import { pathOnly, RequestLog } from './request-log.js';
import { createRuntime, type DataPoint, type WorkerLog } from './runtime.js';
import { EdgeStore } from './store.js';
import { desiredWorkers } from './worker-spec.js';

/**
 * The local edge: one HTTP server on loopback that serves
 *   - the Cloudflare API under /client/v4 (control-plane/), with fault injection and a request log;
 *   - admin routes under /__edge (same bearer token): faults, requests, analytics, workers, health;
 *   - worker traffic, routed by Host `<worker>.localhost:<port>` (or, for clients that cannot resolve
 *     *.localhost, by the path prefix /__workers/<worker>/… or the header x-mcp-fleet-worker),
 *     proxied with streaming to the worker's own socket in workerd.
 */

export interface StartEdgeOptions {
  projectDir: string;
  /** 0 picks a free port. */
  port?: number;
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
}

export const WORKER_HEADER = 'x-mcp-fleet-worker';
const WORKER_PATH_PREFIX = '/__workers/';
const API_PREFIX = '/client/v4';
const ADMIN_PREFIX = '/__edge';

export class AnalyticsStore {
  private readonly points = new Map<string, DataPoint[]>();
  constructor(private readonly capacityPerScript = 10_000) {}
  add(point: DataPoint): void {
    const list = this.points.get(point.script) ?? [];
    list.push(point);
    if (list.length > this.capacityPerScript) list.splice(0, list.length - this.capacityPerScript);
    this.points.set(point.script, list);
  }
  list(script?: string): DataPoint[] {
    if (script !== undefined) return [...(this.points.get(script) ?? [])];
    return [...this.points.values()].flat().sort((a, b) => a.time.localeCompare(b.time));
  }
  clear(script?: string): void {
    if (script === undefined) this.points.clear();
    else this.points.delete(script);
  }
}

export function stateDirOf(projectDir: string): string {
  return join(localEdgeDir(projectDir), 'state');
}

export async function startEdge(options: StartEdgeOptions): Promise<RunningEdge> {
  const edgeDir = localEdgeDir(options.projectDir);
  await ensurePrivateDir(join(options.projectDir, '.mcp-fleet'));
  await ensurePrivateDir(edgeDir);
  const existing = await readEdgeInfoIfAny(options.projectDir);
  if (existing && existing.pid !== process.pid && isAlive(existing.pid)) {
    throw usageError(
      `a local edge is already running for this project (pid ${existing.pid}, ${existing.apiBaseUrl})`,
      'Stop it first: mcp-fleet local stop',
    );
  }

  const store = await EdgeStore.open(stateDirOf(options.projectDir));
  const faults = new Faults(options.faults);
  const requests = new RequestLog();
  const analytics = new AnalyticsStore();
  const runtime = createRuntime({
    desired: () => desiredWorkers(store),
    onDataPoint: (point) => analytics.add(point),
    onLog: options.onLog,
    workersPerProcess: options.workersPerProcess,
  });
  const controlPlane = createControlPlane({ store, sync: () => runtime.sync() });

  let port = 0;
  const server = createServer((req, res) => {
    void route(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        writeApi(
          res,
          fail(500, CfCode.internal, `Internal error in the local edge: ${error instanceof Error ? error.message : String(error)}`),
        );
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const path = pathOnly(rawUrl);
    const fromHost = workerFromHost(req.headers.host);
    if (fromHost) return proxyToWorker(fromHost, req, res, rawUrl, req.headers.host!);
    const fromHeader = req.headers[WORKER_HEADER];
    if (typeof fromHeader === 'string' && fromHeader) return proxyToWorker(fromHeader, req, res, rawUrl, `${fromHeader}.localhost:${port}`);
    if (path.startsWith(WORKER_PATH_PREFIX)) {
      const rest = rawUrl.slice(WORKER_PATH_PREFIX.length);
      const slash = rest.search(/[/?]/);
      const name = slash === -1 ? rest : rest.slice(0, slash);
      const tail = slash === -1 ? '/' : rest.slice(slash);
      return proxyToWorker(name, req, res, tail.startsWith('/') ? tail : `/${tail}`, `${name}.localhost:${port}`);
    }
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) return api(req, res, path.slice(API_PREFIX.length) || '/');
    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) return admin(req, res, path.slice(ADMIN_PREFIX.length) || '/');
    writeApi(res, errors.noRoute(req.method ?? 'GET', path).toResponse());
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const decision = faults.decide();
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    let response: ApiResponse;
    let routeName: string | null = null;
    let script: string | null = null;
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
    script ??= /\/workers\/(?:scripts|services|workers)\/([^/]+)/.exec(path)?.[1] ?? null;
    writeApi(res, response);
    requests.add({
      time: new Date().toISOString(),
      method,
      path: `${API_PREFIX}${path}`,
      route: routeName,
      script,
      status: response.status,
      ms: Math.round(performance.now() - started),
      fault,
    });
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://edge.local');
    if (path === '/health' && method === 'GET') {
      req.resume();
      writeApi(res, ok({ status: 'ok', pid: process.pid, port, startedAt: info.startedAt }));
      return;
    }
    const request = toWebRequest(req);
    if (!controlPlane.authorized(request)) {
      req.resume();
      writeApi(res, errors.authentication().toResponse());
      return;
    }
    const script = url.searchParams.get('script') ?? undefined;
    switch (`${method} ${path}`) {
      case 'GET /faults':
        return writeApi(res, ok(faults.current));
      case 'PUT /faults':
      case 'PATCH /faults': {
        let body: unknown;
        try {
          body = JSON.parse(await request.text());
        } catch {
          return writeApi(res, errors.badRequest('The request body is not valid JSON').toResponse());
        }
        const parsed = FaultPatchSchema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return writeApi(
            res,
            errors
              .badRequest(`Invalid fault settings: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid'}`)
              .toResponse(),
          );
        }
        faults.update(parsed.data);
        return writeApi(res, ok(faults.current));
      }
      case 'GET /requests': {
        const since = Number(url.searchParams.get('since') ?? NaN);
        return writeApi(res, ok(requests.list({ since: Number.isFinite(since) ? since : undefined, script })));
      }
      case 'DELETE /requests':
        requests.clear();
        return writeApi(res, ok(null));
      case 'GET /analytics':
        return writeApi(res, ok(analytics.list(script)));
      case 'DELETE /analytics':
        analytics.clear(script);
        return writeApi(res, ok(null));
      case 'GET /workers':
        await runtime.idle();
        return writeApi(res, ok(workersSummary()));
      default:
        req.resume();
        return writeApi(res, errors.noRoute(method, `${ADMIN_PREFIX}${path}`).toResponse());
    }
  }

  function workersSummary(): unknown[] {
    const running = new Set(runtime.running());
    return store.listScripts().map((script) => {
      const version = store.activeVersion(script);
      const bindings = version?.bindings ?? [];
      return {
        name: script.name,
        url: workerUrl(script.name),
        running: running.has(script.name),
        versionId: version?.id ?? null,
        modifiedOn: script.modified_on,
        vars: bindings.filter((b) => b.type === 'plain_text' || b.type === 'json').map((b) => b.name),
        secrets: bindings.filter((b) => b.type === 'secret_text').map((b) => b.name),
        analytics: bindings.filter((b) => b.type === 'analytics_engine').map((b) => ({ binding: b.name, dataset: b.dataset })),
      };
    });
  }

  async function proxyToWorker(name: string, req: IncomingMessage, res: ServerResponse, pathAndQuery: string, host: string): Promise<void> {
    await runtime.idle(name);
    const origin = runtime.workerOrigin(name);
    if (!origin) {
      req.resume();
      writeApi(res, fail(404, CfCode.scriptNotFound, `No worker named "${name}" is deployed on this local edge`));
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host };
    delete headers[WORKER_HEADER];
    const upstream = httpRequest({
      host: origin.hostname,
      port: origin.port,
      method: req.method,
      path: pathAndQuery,
      headers,
      agent: false,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      res.flushHeaders();
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) writeApi(res, fail(502, CfCode.internal, `Worker "${name}" did not answer: ${error.message}`));
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  function workerUrl(name: string): string {
    return `http://${name}.localhost:${port}`;
  }

  // Listen first: a busy port fails fast, before workerd starts.
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          usageError(`port ${options.port ?? 0} is already in use`, 'Pass another port with --port N (or --port 0 for any free port).'),
        );
      } else if (error.code === 'EACCES') {
        reject(usageError(`port ${options.port ?? 0} cannot be used (permission denied)`, 'Pass a port above 1024 with --port N.'));
      } else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port ?? 0, '127.0.0.1');
  });
  port = (server.address() as AddressInfo).port;

  const info: EdgeInfo = {
    apiBaseUrl: `http://127.0.0.1:${port}${API_PREFIX}`,
    accountId: store.identity.accountId,
    token: store.identity.token,
    pid: process.pid,
    port,
    workerUrlTemplate: `http://{name}.localhost:${port}`,
    workerPathUrlTemplate: `http://127.0.0.1:${port}${WORKER_PATH_PREFIX}{name}`,
    adminUrl: `http://127.0.0.1:${port}${ADMIN_PREFIX}`,
    startedAt: new Date().toISOString(),
  };

  try {
    // Workers deployed before a restart answer again at once.
    const initial = await runtime.sync();
    for (const [name, message] of Object.entries(initial.failures)) {
      options.onLog?.({ level: 'error', worker: name, message: `worker "${name}" failed to start: ${message}` });
    }
    await writeFileAtomic(edgeFilePath(options.projectDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  } catch (error) {
    server.closeAllConnections();
    server.close();
    await runtime.dispose().catch(() => undefined);
    throw error instanceof FleetError
      ? error
      : new FleetError(`the local edge could not start workerd: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
  }

  let stopping: Promise<void> | undefined;
  return {
    info,
    faults,
    requests,
    analytics,
    stop() {
      stopping ??= (async () => {
        await closeServer(server);
        await runtime.dispose().catch(() => undefined);
        const recorded = await readEdgeInfoIfAny(options.projectDir);
        if (recorded && recorded.pid === process.pid && recorded.port === port) await rm(edgeFilePath(options.projectDir), { force: true });
      })();
      return stopping;
    },
  };
}

/** `acme.localhost:8787` → `acme`. */
export function workerFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const match = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.localhost\.?(?::\d+)?$/i.exec(host.trim());
  return match?.[1]?.toLowerCase();
}

function toWebRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.set(key, value);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(`http://127.0.0.1${req.url ?? '/'}`, {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  } as RequestInit);
}

function writeApi(res: ServerResponse, response: ApiResponse): void {
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  let payload: string | Uint8Array;
  if (response.body instanceof Uint8Array) {
    payload = response.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else {
    payload = JSON.stringify(response.body);
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
