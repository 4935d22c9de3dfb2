import type { DataPoint } from '../analytics/store.js';
import type { KvStorage } from '../kv/kv-storage.js';
import type { WorkerdGuard } from '../lifecycle/die-with-parent.js';
import type { TailSink } from './edge-internal-worker.js';
import type { EgressHandler } from './egress.js';
import type { WorkerSpec } from './worker-spec.js';
import { type SyncResult, WorkerdProcess, type WorkerLog } from './workerd-process.js';

/**
 * The edge's runtime: the deployed workers, spread over a few workerd processes (shards) of at most
 * `workersPerProcess` workers each. A worker stays in the process it was first placed in, so a sync
 * restarts only the processes whose workers changed; concurrent syncs queue, and each applies the
 * desired set as it is when its turn comes. Every worker gets a direct loopback socket, which the
 * edge's worker proxy forwards Host-routed traffic to.
 */

export type { SyncResult, WorkerLog } from './workerd-process.js';

export interface RuntimeOptions {
  /** The workers that should run now (read at the start of every sync). */
  desired: () => Promise<WorkerSpec[]>;
  onDataPoint?: (point: DataPoint) => void;
  onLog?: (log: WorkerLog) => void;
  /** Each worker's subrequests; without it workerd lets them reach any address. */
  egress?: (worker: string) => EgressHandler;
  /** Where tailed workers' trace items go, for `wrangler tail`. */
  tails?: TailSink;
  /** Runs workerd so that it dies with this process. */
  guard?: WorkerdGuard;
  /** Where workers' KV bindings keep their data. */
  kvStorage?: KvStorage;
  /**
   * Workers per workerd process. A change restarts only its own process, so an upload or a
   * secret change costs the start-up of at most this many workers, whatever the fleet size;
   * each process costs about 75 MB on top of about 17 MB per (template-sized) worker.
   */
  workersPerProcess?: number;
}

/** One version a worker's traffic goes to: the runtime instance that runs it and its share. */
export interface TrafficShare {
  instance: string;
  versionId: string;
  percentage: number;
}

export interface Runtime {
  /** Applies the current desired set; resolves once the workers it changed run (or failed to start). Failures are keyed by worker. */
  sync(): Promise<SyncResult>;
  /** Resolves when no restart is in progress for this worker's processes (or any, without a name). */
  idle(script?: string): Promise<void>;
  /** The versions a worker's traffic is split between (one for most), in the deployment's order; undefined when it runs nothing. */
  sharesOf(script: string): TrafficShare[] | undefined;
  /** The direct loopback URL of a running instance (a worker's name, or its split instance's). */
  workerOrigin(instance: string): URL | undefined;
  /** The workers (not instances) that run now. */
  running(): string[];
  dispose(): Promise<void>;
}

export const DEFAULT_WORKERS_PER_PROCESS = 4;

export function createRuntime(options: RuntimeOptions): Runtime {
  const perProcess = Math.max(1, options.workersPerProcess ?? DEFAULT_WORKERS_PER_PROCESS);
  const shards: WorkerdProcess[] = [];
  const shardOf = new Map<string, WorkerdProcess>();
  /** script → its instances and their shares, as of the last plan. */
  let shares = new Map<string, TrafficShare[]>();
  let planning: Promise<unknown> = Promise.resolve();
  let disposed = false;

  /** Assigns workers to processes (a worker stays in its process) and asks changed processes to restart. */
  async function plan(): Promise<Array<Promise<SyncResult>>> {
    const specs = await options.desired();
    const wanted = new Set(specs.map((spec) => spec.name));
    const nextShares = new Map<string, TrafficShare[]>();
    for (const spec of specs) {
      const list = nextShares.get(spec.script) ?? [];
      list.push({ instance: spec.name, versionId: spec.versionId, percentage: spec.percentage });
      nextShares.set(spec.script, list);
    }
    shares = nextShares;
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
        shard = new WorkerdProcess(options);
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
      const kept = shards.filter((shard) => shard.names.size > 0 || !shard.stopped);
      shards.splice(0, shards.length, ...kept);
      return { failures: Object.assign({}, ...results.map((result) => result.failures)) as Record<string, string> };
    },
    async idle(script) {
      await planning;
      if (script === undefined) {
        await Promise.all(shards.map((s) => s.idle()));
        return;
      }
      const instances = shares.get(script)?.map((share) => share.instance) ?? [script];
      const busy = new Set(instances.map((instance) => shardOf.get(instance)).filter((shard) => shard !== undefined));
      await Promise.all([...busy].map((shard) => shard.idle()));
    },
    sharesOf: (script) => shares.get(script),
    workerOrigin: (instance) => shardOf.get(instance)?.origins.get(instance),
    running: () => [...new Set(shards.flatMap((shard) => [...shard.scripts()]))].sort(),
    async dispose() {
      disposed = true;
      await planning;
      await Promise.all(shards.map((shard) => shard.dispose()));
      shards.length = 0;
      shardOf.clear();
      shares = new Map();
    },
  };
}
