import { createHash } from 'node:crypto';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import type { DataPoint } from '../analytics/store.js';
import type { KvStorage } from '../kv/kv-storage.js';
import { type WorkerdGuard, withWorkerdGuard } from '../lifecycle/die-with-parent.js';
import { internalWorker, type TailSink } from './edge-internal-worker.js';
import type { EgressHandler } from './egress.js';
import { workerOptions } from './worker-options.js';
import type { WorkerSpec } from './worker-spec.js';

/**
 * One workerd process (one Miniflare) hosting a few workers. A new wanted set restarts it with
 * setOptions; sets asked for during a restart coalesce into the next one. When a set fails to start,
 * the workers that broke it are left out and the rest start without them.
 */

export interface WorkerLog {
  level: string;
  message: string;
  /** The worker (script) that logged, when workerd names it: both versions of a split log as their worker. */
  worker: string | null;
}

export interface SyncResult {
  /** Workers (scripts) that failed to start, with workerd's message: every version of theirs is left out of the runtime. */
  failures: Record<string, string>;
}

export interface ProcessHooks {
  onDataPoint?: (point: DataPoint) => void;
  onLog?: (log: WorkerLog) => void;
  /** Every worker's subrequests (see egress.ts). */
  egress?: (worker: string) => EgressHandler;
  /** Where tailed workers' trace items go (see edge-internal-worker.ts). */
  tails?: TailSink;
  /** Makes workerd die with the edge (see die-with-parent.ts). */
  guard?: WorkerdGuard;
  /** The edge's Workers KV storage, which a process whose workers bind KV shares (see kv-storage.ts). */
  kvStorage?: KvStorage;
}

export class WorkerdProcess {
  /** The workers assigned to this process (the runtime's plan), running or not. */
  readonly names = new Set<string>();
  /** The direct loopback URL of each instance that runs. */
  origins = new Map<string, URL>();
  /** instance → worker (script), of what runs. */
  private scriptOf = new Map<string, string>();
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

  /** This process's shared-storage options, fixed for its life (its isolated directory is its own). */
  private storageOptions: Partial<MiniflareOptions> | undefined;

  constructor(private readonly hooks: ProcessHooks) {}

  private async sharedStorage(): Promise<Partial<MiniflareOptions>> {
    const { kvStorage } = this.hooks;
    if (!kvStorage) throw new Error('this edge has no KV storage for kv_namespace bindings');
    this.storageOptions ??= await kvStorage.sharedOptions();
    return this.storageOptions;
  }

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

  /** The workers (scripts) whose instances run here. */
  scripts(): Set<string> {
    return new Set([...this.origins.keys()].map((instance) => this.scriptOf.get(instance) ?? instance));
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
          : specs.filter((spec) => this.applied.get(spec.name) !== fingerprint(spec)).map((spec) => spec.script);
      const failures: Record<string, string> = {};
      for (const name of suspects) failures[name] = named.get(name) ?? describe(error);
      const healthy = specs.filter((spec) => !(spec.script in failures));
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
    this.scriptOf = new Map();
    this.stopped = true;
    await instance?.dispose();
  }

  private async start(specs: WorkerSpec[]): Promise<void> {
    const logs: WorkerLog[] = [];
    this.startupLogs = logs;
    const scriptOf = new Map(specs.map((spec) => [spec.name, spec.script]));
    const handleStructuredLogs = (log: { level: string; message: string }) => {
      const instance = /service core:user:([^:\s]+)/.exec(log.message)?.[1];
      const worker = instance === undefined ? null : (scriptOf.get(instance) ?? instance);
      const entry = { level: log.level, message: log.message, worker };
      if (this.startupLogs === logs) logs.push(entry);
      this.hooks.onLog?.(entry);
    };
    const { onDataPoint, egress, tails, guard } = this.hooks;
    const workers = specs.map((spec) => workerOptions(spec, { onDataPoint, egress, tails: tails !== undefined }));
    if (tails) workers.push(internalWorker(tails));
    // Only a process whose workers bind KV joins the shared storage: the others need no dev registry.
    const storage = specs.some((spec) => spec.kv.length > 0) ? await this.sharedStorage() : {};
    const config: MiniflareOptions = { ...storage, handleStructuredLogs, workers };
    try {
      await withWorkerdGuard(guard, async () => {
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
      });
    } catch (error) {
      this.origins = new Map();
      throw error;
    } finally {
      this.lastStartupLogs = logs;
      this.startupLogs = undefined;
    }
    const mf = this.mf;
    if (!mf) throw new Error('workerd did not start');
    const next = new Map<string, URL>();
    for (const spec of specs) next.set(spec.name, await mf.unsafeGetDirectURL(spec.name));
    this.origins = next;
    this.scriptOf = scriptOf;
    this.applied = new Map(specs.map((spec) => [spec.name, fingerprint(spec)]));
    this.stopped = false;
  }
}

function fingerprint(spec: WorkerSpec): string {
  const hash = createHash('sha256');
  // The share is the proxy's business: a deployment that only moves percentages restarts nothing.
  const { percentage: _share, ...runs } = spec;
  hash.update(JSON.stringify({ ...runs, modules: spec.modules.map((m) => [m.name, m.type, m.hash]) }));
  // The store's content hash names a module already; hashing contents again made every sync cost the whole fleet's code.
  for (const module of spec.modules) if (module.hash === undefined) hash.update(module.contents);
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
