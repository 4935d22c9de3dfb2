import { errors } from '../net/envelope.js';
import type { SyncResult } from '../runtime/runtime.js';
import type { TailHub } from '../runtime/tail-hub.js';
import { type DeploymentRecord, type EdgeStore, newId, type ScriptRecord, type VersionRecord } from '../store.js';
import type { EdgeKv } from './kv-routes.js';

export interface ControlPlaneOptions {
  store: EdgeStore;
  /** Applies the store's state to the runtime. */
  sync: () => Promise<SyncResult>;
  /** Live `wrangler tail` sessions. */
  tails: TailHub;
  /** The account's workers.dev subdomain name (fixed). */
  subdomain?: string;
  now?: () => Date;
  /**
   * Injected propagation delay (ms, read per deployment): a deployment is answered at once and the
   * workers keep running the old code this long, as while Cloudflare spreads a deployment over its
   * locations. Startup failures are then not reported by the API.
   */
  propagationMs?: () => number;
  /** Workers KV: the account's namespaces and their data (kv-routes.ts). */
  kv?: EdgeKv;
}

/** Who the edge says made every version and deployment: there is one user. */
export const AUTHOR = 'edge@mcp-fleet.localhost';

/** What every group of routes shares: the store, the runtime's sync, the account, the clock and the edits they all make. */
export interface PlaneContext {
  store: EdgeStore;
  accountId: string;
  subdomain: string;
  sync: () => Promise<SyncResult>;
  tails: TailHub;
  kv?: EdgeKv;
  /** The clock, as an ISO timestamp. */
  now(): string;
  /** The script, or 10007. */
  requireScript(name: string): ScriptRecord;
  deploymentOf(versions: DeploymentRecord['versions'], source: string, annotations: Record<string, string>): DeploymentRecord;
  /** Edits a copy of an existing script (10007 if none) and saves it, one mutation at a time. */
  updateScript(name: string, change: (record: ScriptRecord) => void): Promise<ScriptRecord>;
  /** Saves `record` with `version` as its newest version and `secrets` as that version's secret values. */
  saveVersion(record: ScriptRecord, version: VersionRecord, secrets: Record<string, string>): Promise<void>;
  /** Syncs the runtime; if `name` failed to start, undoes `undo` and answers 10021. Returns the sync time. */
  syncOrRollback(name: string, undo: () => Promise<void>): Promise<number>;
  /** Deletes a worker (10007 if none): its state, its process slot, its tails. */
  deleteWorker(name: string): Promise<void>;
}

export function createPlaneContext(options: ControlPlaneOptions): PlaneContext {
  const { store } = options;
  const now = () => (options.now ?? (() => new Date()))().toISOString();

  function requireScript(name: string): ScriptRecord {
    const script = store.getScript(name);
    if (!script) throw errors.scriptNotFound(name);
    return script;
  }

  return {
    store,
    accountId: store.identity.accountId,
    subdomain: options.subdomain ?? 'local',
    sync: () => options.sync(),
    tails: options.tails,
    kv: options.kv,
    now,
    requireScript,
    deploymentOf(versions, source, annotations) {
      return { id: newId(), created_on: now(), source, strategy: 'percentage', author_email: AUTHOR, annotations, versions };
    },
    updateScript(name, change) {
      return store.exclusive(async () => {
        const record = structuredClone(requireScript(name));
        change(record);
        await store.saveScript(record, store.secretsOf(name));
        return record;
      });
    },
    async saveVersion(record, version, secrets) {
      record.versions.unshift(version);
      record.modified_on = version.created_on;
      const all = store.secretsOf(record.name);
      all[version.id] = secrets;
      await store.saveScript(record, all);
    },
    async syncOrRollback(name, undo) {
      const delay = options.propagationMs?.() ?? 0;
      if (delay > 0) {
        // A stopped runtime refuses the sync; nothing is left to update then.
        setTimeout(() => void options.sync().catch(() => undefined), delay);
        return 0;
      }
      const started = performance.now();
      const result = await options.sync();
      const failure = result.failures[name];
      if (failure === undefined) return Math.round(performance.now() - started);
      await store.exclusive(undo);
      await options.sync();
      throw errors.scriptInvalid(failure);
    },
    async deleteWorker(name) {
      await store.exclusive(async () => {
        requireScript(name);
        await store.deleteScript(name);
      });
      options.tails.deleteScript(name);
      await options.sync();
    },
  };
}

/** Version numbers count up per script, from 1. */
export function nextNumber(script: ScriptRecord | undefined): number {
  return Math.max(0, ...(script?.versions.map((v) => v.number) ?? [])) + 1;
}
