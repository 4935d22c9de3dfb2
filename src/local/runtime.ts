import { createHash } from 'node:crypto';
import { Miniflare, Response as MiniflareResponse, type MiniflareOptions } from 'miniflare';
import type { ModuleType } from './store.js';

/**
 * The edge's runtime: one Miniflare (one workerd) hosting every deployed worker. Each sync applies
 * the whole desired set with setOptions; concurrent requests for a sync coalesce into the next one.
 * Every worker gets a direct loopback socket that edge.ts proxies Host-routed traffic to.
 */

export interface WorkerModule {
  name: string;
  type: ModuleType;
  contents: Uint8Array;
}

export interface WorkerSpec {
  name: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  mainModule: string;
  modules: WorkerModule[];
  /** plain_text vars and secret_text secrets (both are strings in env). */
  text: Record<string, string>;
  json: Record<string, unknown>;
  analytics: Array<{ binding: string; dataset: string }>;
}

export interface DataPoint {
  time: string;
  script: string;
  dataset: string;
  binding: string;
  blobs: Array<string | null>;
  doubles: number[];
  indexes: Array<string | null>;
}

export interface WorkerLog {
  level: string;
  message: string;
  /** The worker that logged, when workerd names it. */
  worker: string | null;
}

export interface SyncResult {
  /** Workers that failed to start (left out of the runtime), with workerd's message. */
  failures: Record<string, string>;
}

export interface RuntimeOptions {
  /** The workers that should run now (read at the start of every sync). */
  desired: () => Promise<WorkerSpec[]>;
  onDataPoint?: (point: DataPoint) => void;
  onLog?: (log: WorkerLog) => void;
}

export interface Runtime {
  /** Applies the current desired set; resolves once a sync that began after this call has finished. */
  sync(): Promise<SyncResult>;
  /** Resolves when no sync is in progress (worker traffic waits for this). */
  idle(): Promise<void>;
  /** The direct loopback URL of a running worker. */
  workerOrigin(name: string): URL | undefined;
  running(): string[];
  dispose(): Promise<void>;
}

/** A placeholder worker so that Miniflare always has one; its name cannot be a Cloudflare worker name. */
const IDLE_WORKER = '__edge_idle';
const ENTRY_MODULE = '__mcp_fleet_edge_entry.mjs';
const SINK_BINDING = '__MCP_FLEET_EDGE_ANALYTICS';

export function createRuntime(options: RuntimeOptions): Runtime {
  let mf: Miniflare | undefined;
  let origins = new Map<string, URL>();
  let applied = new Map<string, string>(); // name → fingerprint of what runs
  let running: Promise<void> | undefined;
  let pending: Deferred<SyncResult> | undefined;
  let disposed = false;
  let startupLogs: WorkerLog[] | undefined;
  let lastStartupLogs: WorkerLog[] | undefined;

  const handleLog = (log: { level: string; message: string }) => {
    const worker = /service core:user:([^:\s]+)/.exec(log.message)?.[1] ?? null;
    const entry = { level: log.level, message: log.message, worker };
    startupLogs?.push(entry);
    options.onLog?.(entry);
  };

  function miniflareOptions(specs: WorkerSpec[]): MiniflareOptions {
    const workers: MiniflareOptions['workers'] = [
      {
        config: {
          name: IDLE_WORKER,
          compatibilityDate: '2025-01-01',
          manifest: { mainModule: 'idle.mjs', modules: { 'idle.mjs': { type: 'esm', contents: IDLE_SOURCE } } },
        },
      },
    ];
    for (const spec of specs) workers.push(workerOptions(spec, options.onDataPoint));
    return { handleStructuredLogs: handleLog, workers };
  }

  async function start(specs: WorkerSpec[]): Promise<void> {
    startupLogs = [];
    try {
      if (!mf) {
        const instance = new Miniflare(miniflareOptions(specs));
        try {
          await instance.ready;
        } catch (error) {
          await instance.dispose().catch(() => undefined);
          throw error;
        }
        mf = instance;
      } else {
        await mf.setOptions(miniflareOptions(specs));
      }
    } finally {
      const logs = startupLogs;
      startupLogs = undefined;
      lastStartupLogs = logs;
    }
    const next = new Map<string, URL>();
    for (const spec of specs) next.set(spec.name, await mf.unsafeGetDirectURL(spec.name));
    origins = next;
    applied = new Map(specs.map((spec) => [spec.name, fingerprint(spec)]));
  }

  async function apply(): Promise<SyncResult> {
    const specs = await options.desired();
    try {
      await start(specs);
      return { failures: {} };
    } catch (error) {
      // Find the workers that broke: workerd names them; otherwise suspect every changed one.
      const named = new Map<string, string>();
      for (const log of lastStartupLogs ?? []) if (log.worker && log.level === 'error') named.set(log.worker, log.message.replace(/^service core:user:[^:]+:\s*/, ''));
      const suspects = named.size > 0 ? [...named.keys()] : specs.filter((spec) => applied.get(spec.name) !== fingerprint(spec)).map((spec) => spec.name);
      const failures: Record<string, string> = {};
      for (const name of suspects) failures[name] = named.get(name) ?? describe(error);
      const healthy = specs.filter((spec) => !(spec.name in failures));
      if (healthy.length === specs.length) throw error;
      await start(healthy);
      return { failures };
    }
  }

  function kick(): void {
    if (running || !pending) return;
    const batch = pending;
    pending = undefined;
    running = apply()
      .then(batch.resolve, batch.reject)
      .finally(() => {
        running = undefined;
        kick();
      });
  }

  return {
    sync() {
      if (disposed) return Promise.reject(new Error('the runtime is stopped'));
      pending ??= deferred<SyncResult>();
      const promise = pending.promise;
      kick();
      return promise;
    },
    async idle() {
      while (running) await running.catch(() => undefined);
    },
    workerOrigin: (name) => origins.get(name),
    running: () => [...origins.keys()],
    async dispose() {
      disposed = true;
      await this.idle();
      const instance = mf;
      mf = undefined;
      origins = new Map();
      await instance?.dispose();
    },
  };
}

function workerOptions(spec: WorkerSpec, onDataPoint: RuntimeOptions['onDataPoint']): MiniflareOptions['workers'][number] {
  type Env = NonNullable<MiniflareOptions['workers'][number]['config']['env']>;
  const env: Env = {};
  for (const [name, value] of Object.entries(spec.json)) env[name] = { type: 'json', value: value as never };
  for (const [name, value] of Object.entries(spec.text)) env[name] = { type: 'text', value };

  const modules: Record<string, { type: ModuleType; contents: Uint8Array<ArrayBuffer> }> = {};
  for (const module of spec.modules) modules[module.name] = { type: module.type, contents: new Uint8Array(module.contents) };

  let mainModule = spec.mainModule;
  const mainIsEsm = spec.modules.find((module) => module.name === spec.mainModule)?.type === 'esm';
  if (spec.analytics.length > 0) {
    for (const { binding, dataset } of spec.analytics) env[binding] = { type: 'analytics-engine-dataset', name: dataset };
    if (mainIsEsm && onDataPoint) {
      // Analytics Engine's writeDataPoint is fire-and-forget; an un-awaited call to another service
      // would be cancelled when the request ends. An entry module wraps the handlers' env so that
      // each data point is delivered to the edge under ctx.waitUntil.
      const datasets = new Map(spec.analytics.map((entry) => [entry.binding, entry.dataset]));
      env[SINK_BINDING] = {
        type: 'fetcher',
        handler: async (request) => {
          try {
            const body = (await request.json()) as { binding: string; point: Record<string, unknown> };
            onDataPoint(toDataPoint(spec.name, body.binding, datasets.get(body.binding) ?? '', body.point));
          } catch {
            // A malformed point is dropped, as Analytics Engine would.
          }
          return new MiniflareResponse(null, { status: 204 });
        },
      };
      modules[ENTRY_MODULE] = { type: 'esm', contents: new TextEncoder().encode(entrySource(spec.mainModule, spec.analytics.map((a) => a.binding))) };
      mainModule = ENTRY_MODULE;
    }
  }

  return {
    config: {
      name: spec.name,
      compatibilityDate: spec.compatibilityDate,
      compatibilityFlags: spec.compatibilityFlags,
      manifest: { mainModule, modules },
      env,
    },
    dev: { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] },
  };
}

function toDataPoint(script: string, binding: string, dataset: string, point: Record<string, unknown>): DataPoint {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  return {
    time: new Date().toISOString(),
    script,
    dataset,
    binding,
    blobs: list(point.blobs).map((b) => (b === null || b === undefined ? null : String(b))),
    doubles: list(point.doubles).map(Number),
    indexes: list(point.indexes).map((i) => (i === null || i === undefined ? null : String(i))),
  };
}

/** The entry module that wraps the uploaded main module's handlers (see workerOptions). */
function entrySource(mainModule: string, bindings: string[]): string {
  const specifier = JSON.stringify(`./${mainModule}`);
  return `import * as user from ${specifier};
export * from ${specifier};
const BINDINGS = ${JSON.stringify(bindings)};
const SINK = ${JSON.stringify(SINK_BINDING)};
const HANDLERS = new Set(["fetch", "scheduled", "queue", "tail", "trace", "email", "test", "tailStream"]);
const decoder = new TextDecoder();
function blob(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  try { return decoder.decode(value); } catch { return String(value); }
}
function wrapEnv(env, ctx) {
  if (!env || typeof env !== "object" || !env[SINK]) return env;
  const sink = env[SINK];
  const out = { ...env };
  delete out[SINK];
  for (const name of BINDINGS) {
    out[name] = {
      writeDataPoint(point) {
        const p = point || {};
        const body = JSON.stringify({ binding: name, point: { blobs: (p.blobs || []).map(blob), doubles: p.doubles || [], indexes: (p.indexes || []).map(blob) } });
        const sent = sink.fetch("http://analytics.edge.local/", { method: "POST", body }).catch(() => {});
        try { ctx && ctx.waitUntil && ctx.waitUntil(sent); } catch {}
      },
    };
  }
  return out;
}
const inner = user.default;
let outer = inner;
if (typeof inner === "function") {
  outer = class extends inner {
    constructor(ctx, env) { super(ctx, wrapEnv(env, ctx)); }
  };
} else if (inner && typeof inner === "object") {
  outer = {};
  for (const key of Object.keys(inner)) {
    const value = inner[key];
    outer[key] = typeof value === "function" && HANDLERS.has(key) ? (arg, env, ctx) => value.call(inner, arg, wrapEnv(env, ctx), ctx) : value;
  }
}
export default outer;
`;
}

const IDLE_SOURCE = `export default { fetch() { return new Response("no worker", { status: 404 }); } };`;

function fingerprint(spec: WorkerSpec): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ ...spec, modules: spec.modules.map((m) => [m.name, m.type]) }));
  for (const module of spec.modules) hash.update(module.contents);
  return hash.digest('hex');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
