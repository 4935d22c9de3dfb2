import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { type WorkerdGuard, withWorkerdGuard } from '../lifecycle/die-with-parent.js';

/**
 * Where Workers KV data lives: Miniflare's own KV storage under the edge's state directory, with
 * ONE owner process. Miniflare's shared storage lets several workerd processes use one persistence
 * directory: they elect the oldest process registered in a dev registry as the storage owner and
 * proxy every KV operation to it. The edge starts its own small workerd (the host) first, before any
 * worker process that binds KV, so the host owns the storage for the edge's lifetime; workers'
 * `kv_namespace` bindings and the control plane's KV API (through Miniflare's local explorer API,
 * which takes any namespace id) then read and write the very same data, and it survives a restart.
 */

/** Miniflare's local explorer API, on the host's entry URL. */
const EXPLORER_API = '/cdn-cgi/local/explorer/api';
const HOST_WORKER = 'mcp_fleet_kv_host';
const HOST_SOURCE = 'export default { fetch() { return new Response("kv host", { status: 404 }); } };';

export interface KvStorage {
  /** The options that make a workerd process use the shared KV storage; starts the host first if needed. */
  sharedOptions(): Promise<Partial<MiniflareOptions>>;
  /** A call to the explorer's KV API (`path` after `/storage/kv`), on the host. */
  call(path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

export function createKvStorage(stateDir: string, guard?: WorkerdGuard): KvStorage {
  const persist = join(stateDir, 'storage');
  const registry = join(stateDir, 'storage-registry');
  const isolated = join(stateDir, 'storage-isolated');
  let host: Promise<{ mf: Miniflare; url: URL }> | undefined;
  let disposed = false;

  const options = (isolatedDir: string): Partial<MiniflareOptions> => ({
    resourcePersistencePath: persist,
    isolatedResourcePersistencePath: isolatedDir,
    unsafeEnableSharedStorage: true,
    enableDevRegistry: true,
    unsafeDevRegistryPath: registry,
  });

  async function startHost(): Promise<{ mf: Miniflare; url: URL }> {
    // The edge holds its project alone (claimProject): whatever a killed predecessor registered is stale,
    // and a stale owner would be elected first.
    await rm(registry, { recursive: true, force: true });
    await rm(isolated, { recursive: true, force: true });
    await mkdir(persist, { recursive: true, mode: 0o700 });
    await mkdir(registry, { recursive: true, mode: 0o700 });
    const config: MiniflareOptions = {
      ...options(join(isolated, 'host')),
      unsafeLocalExplorer: true,
      handleStructuredLogs: () => undefined,
      workers: [
        {
          config: {
            name: HOST_WORKER,
            compatibilityDate: '2025-06-01',
            manifest: { mainModule: 'host.mjs', modules: { 'host.mjs': { type: 'esm', contents: new TextEncoder().encode(HOST_SOURCE) } } },
          },
        },
      ],
    };
    return withWorkerdGuard(guard, async () => {
      const mf = new Miniflare(config);
      try {
        return { mf, url: await mf.ready };
      } catch (error) {
        await mf.dispose().catch(() => undefined);
        throw error;
      }
    });
  }

  const ensureHost = () => {
    if (disposed) return Promise.reject(new Error('the KV storage is stopped'));
    host ??= startHost().catch((error: unknown) => {
      host = undefined;
      throw error;
    });
    return host;
  };

  return {
    async sharedOptions() {
      await ensureHost();
      return options(join(isolated, randomUUID()));
    },
    async call(path, init) {
      const { url } = await ensureHost();
      return fetch(new URL(`${EXPLORER_API}/storage/kv${path}`, url), init);
    },
    async dispose() {
      disposed = true;
      const running = host;
      host = undefined;
      if (running) await (await running.catch(() => undefined))?.mf.dispose();
      await rm(isolated, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
