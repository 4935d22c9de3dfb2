import { createHash } from 'node:crypto';
import { Miniflare, type MiniflareOptions, Response as MiniflareResponse } from 'miniflare';
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
  /**
   * Workers per workerd process. A change restarts only its own process, so an upload or a
   * secret change costs the start-up of at most this many workers, whatever the fleet size;
   * each process costs about 75 MB on top of about 17 MB per (template-sized) worker.
   */
  workersPerProcess?: number;
}

export interface Runtime {
  /** Applies the current desired set; resolves once the workers it changed run (or failed to start). */
  sync(): Promise<SyncResult>;
  /** Resolves when no restart is in progress for this worker's process (or any, without a name). */
  idle(name?: string): Promise<void>;
  /** The direct loopback URL of a running worker. */
  workerOrigin(name: string): URL | undefined;
  running(): string[];
  dispose(): Promise<void>;
}

export const DEFAULT_WORKERS_PER_PROCESS = 4;
const ENTRY_MODULE = '__mcp_fleet_edge_entry.mjs';
const SINK_BINDING = '__MCP_FLEET_EDGE_ANALYTICS';

export function createRuntime(options: RuntimeOptions): Runtime {
  const perProcess = Math.max(1, options.workersPerProcess ?? DEFAULT_WORKERS_PER_PROCESS);
  const shards: Shard[] = [];
  const shardOf = new Map<string, Shard>();
  let planning: Promise<unknown> = Promise.resolve();
  let disposed = false;

  /** Assigns workers to processes (a worker stays in its process) and asks changed processes to restart. */
  async function plan(): Promise<Array<Promise<SyncResult>>> {
    const specs = await options.desired();
    const wanted = new Set(specs.map((spec) => spec.name));
    for (const [name, shard] of shardOf) {
      if (!wanted.has(name)) {
        shardOf.delete(name);
        shard.names.delete(name);
      }
    }
    for (const spec of specs) {
      if (shardOf.has(spec.name)) continue;
      let shard = shards.find((candidate) => candidate.names.size < perProcess);
      if (!shard) {
        shard = new Shard(options);
        shards.push(shard);
      }
      shard.names.add(spec.name);
      shardOf.set(spec.name, shard);
    }
    const waits: Array<Promise<SyncResult>> = [];
    for (const shard of shards) {
      const subset = specs.filter((spec) => shardOf.get(spec.name) === shard);
      waits.push(shard.want(subset));
    }
    return waits;
  }

  return {
    async sync() {
      if (disposed) throw new Error('the runtime is stopped');
      const planned = planning.then(plan);
      planning = planned.catch(() => undefined);
      const results = await Promise.all(await planned);
      // Processes left with no workers have stopped; forget them.
      for (let i = shards.length - 1; i >= 0; i--) if (shards[i]!.names.size === 0 && shards[i]!.stopped) shards.splice(i, 1);
      return { failures: Object.assign({}, ...results.map((result) => result.failures)) as Record<string, string> };
    },
    async idle(name) {
      await planning;
      const shard = name === undefined ? undefined : shardOf.get(name);
      if (shard) await shard.idle();
      else if (name === undefined) await Promise.all(shards.map((s) => s.idle()));
    },
    workerOrigin: (name) => shardOf.get(name)?.origins.get(name),
    running: () => shards.flatMap((shard) => [...shard.origins.keys()]).sort(),
    async dispose() {
      disposed = true;
      await planning;
      await Promise.all(shards.map((shard) => shard.dispose()));
      shards.length = 0;
      shardOf.clear();
    },
  };
}

/** One workerd process (one Miniflare) hosting a few workers; restarts coalesce. */
class Shard {
  readonly names = new Set<string>();
  origins = new Map<string, URL>();
  stopped = true;
  private mf: Miniflare | undefined;
  /** name → fingerprint of what runs. */
  private applied = new Map<string, string>();
  /** Fingerprints of the latest wanted set (running or pending). */
  private wanted = '';
  private latest: Promise<SyncResult> = Promise.resolve({ failures: {} });
  private running: Promise<void> | undefined;
  private pending: { specs: WorkerSpec[]; done: Deferred<SyncResult> } | undefined;
  private startupLogs: WorkerLog[] | undefined;
  /** Logs of the last start, to name the workers that broke it. */
  private lastStartupLogs: WorkerLog[] = [];

  constructor(private readonly options: RuntimeOptions) {}

  /** Asks for this set of workers; a set already wanted only waits for it. */
  want(specs: WorkerSpec[]): Promise<SyncResult> {
    const key = specs.map((spec) => `${spec.name}:${fingerprint(spec)}`).join(',');
    if (key === this.wanted) return this.latest;
    this.wanted = key;
    if (this.pending) this.pending.specs = specs;
    else this.pending = { specs, done: deferred<SyncResult>() };
    this.latest = this.pending.done.promise;
    this.kick();
    return this.latest;
  }

  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  async dispose(): Promise<void> {
    await this.idle();
    const instance = this.mf;
    this.mf = undefined;
    this.origins = new Map();
    this.stopped = true;
    await instance?.dispose();
  }

  private kick(): void {
    if (this.running || !this.pending) return;
    const batch = this.pending;
    this.pending = undefined;
    this.running = this.apply(batch.specs)
      .then(batch.done.resolve, batch.done.reject)
      .finally(() => {
        this.running = undefined;
        this.kick();
      });
  }

  private async apply(specs: WorkerSpec[]): Promise<SyncResult> {
    if (specs.length === 0) {
      await this.stop();
      return { failures: {} };
    }
    try {
      await this.start(specs);
      return { failures: {} };
    } catch (error) {
      // Find the workers that broke: workerd names them; otherwise suspect every changed one.
      const named = new Map<string, string>();
      for (const log of this.lastStartupLogs) {
        if (log.worker && log.level === 'error') named.set(log.worker, log.message.replace(/^service core:user:[^:]+:\s*/, ''));
      }
      const suspects =
        named.size > 0
          ? [...named.keys()]
          : specs.filter((spec) => this.applied.get(spec.name) !== fingerprint(spec)).map((spec) => spec.name);
      const failures: Record<string, string> = {};
      for (const name of suspects) failures[name] = named.get(name) ?? describe(error);
      const healthy = specs.filter((spec) => !(spec.name in failures));
      if (healthy.length === specs.length) throw error;
      if (healthy.length === 0) await this.stop();
      else await this.start(healthy);
      return { failures };
    }
  }

  private async stop(): Promise<void> {
    const instance = this.mf;
    this.mf = undefined;
    this.origins = new Map();
    this.applied = new Map();
    this.stopped = true;
    await instance?.dispose();
  }

  private async start(specs: WorkerSpec[]): Promise<void> {
    const logs: WorkerLog[] = [];
    this.startupLogs = logs;
    const handleStructuredLogs = (log: { level: string; message: string }) => {
      const worker = /service core:user:([^:\s]+)/.exec(log.message)?.[1] ?? null;
      const entry = { level: log.level, message: log.message, worker };
      if (this.startupLogs === logs) logs.push(entry);
      this.options.onLog?.(entry);
    };
    const config: MiniflareOptions = { handleStructuredLogs, workers: specs.map((spec) => workerOptions(spec, this.options.onDataPoint)) };
    try {
      if (!this.mf) {
        const instance = new Miniflare(config);
        try {
          await instance.ready;
        } catch (error) {
          await instance.dispose().catch(() => undefined);
          throw error;
        }
        this.mf = instance;
      } else {
        await this.mf.setOptions(config);
      }
    } catch (error) {
      this.origins = new Map();
      throw error;
    } finally {
      this.lastStartupLogs = logs;
      this.startupLogs = undefined;
    }
    const next = new Map<string, URL>();
    for (const spec of specs) next.set(spec.name, await this.mf.unsafeGetDirectURL(spec.name));
    this.origins = next;
    this.applied = new Map(specs.map((spec) => [spec.name, fingerprint(spec)]));
    this.stopped = false;
  }
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
      modules[ENTRY_MODULE] = {
        type: 'esm',
        contents: new TextEncoder().encode(
          entrySource(
            spec.mainModule,
            spec.analytics.map((a) => a.binding),
          ),
        ),
      };
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
