import type { WranglerEnv } from '../../src/config/wrangler-config.js';
import { type Client, clientFromEnv } from '../../src/fleet/fleet.js';
import type { WorkerUrlSource } from '../../src/ops/verify/client-urls.js';

/** A client of a project at /project, its env section named after it. */
export function envClient(name: string, env: WranglerEnv = {}): Client {
  return clientFromEnv('/project', name, { name, ...env });
}

/**
 * A target that forms worker URLs without a network (workers.dev with the trailing slash the API
 * gives, or the local edge) and records which workers it was asked for; `fail` makes it refuse, as
 * a Cloudflare target without a token does.
 */
export function fakeTarget(kind: 'cloudflare' | 'local' = 'cloudflare', fail = false): WorkerUrlSource & { calls: string[] } {
  const calls: string[] = [];
  return {
    kind,
    calls,
    workerUrl: (worker) => {
      calls.push(worker);
      if (fail) return Promise.reject(new Error('no Cloudflare API token'));
      return Promise.resolve(kind === 'local' ? `http://${worker}.localhost:8787` : `https://${worker}.team.workers.dev/`);
    },
  };
}
