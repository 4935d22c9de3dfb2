import type { AnalyticsStore } from '../analytics/store.js';
import { invoke, Router, readJson } from '../control-plane/router.js';
import { EDGE_PATHS } from '../lifecycle/edge-file.js';
import { type IdentityAnswer, isValidNonce } from '../lifecycle/edge-identity.js';
import { ApiError, type ApiResponse, errors, ok } from '../net/envelope.js';
import type { WorkerSummary } from '../runtime/worker-summary.js';
import { FaultPatchSchema, type Faults } from './faults.js';
import type { RequestLog } from './request-log.js';

/**
 * The edge's own routes under /__edge, for tests, benchmarks and `mcp-fleet local status`: fault
 * settings, the request log, Analytics Engine data points and the worker list. Same bearer token
 * as the API. Two routes are open: the health check (pid and port) and the identity challenge
 * (edge-identity.ts), which every --local command, `local status` and `local stop` ask before they
 * trust edge.json; it proves the token without revealing it.
 */

export const ADMIN_PREFIX = EDGE_PATHS.admin;

export interface AdminOptions {
  faults: Faults;
  requests: RequestLog;
  analytics: AnalyticsStore;
  /** True when the request carries the edge's token. */
  authorized(request: Request): boolean;
  health(): { status: 'ok'; pid: number; port: number; startedAt: string };
  /** This edge's answer to a challenge nonce. */
  identity(nonce: string): IdentityAnswer;
  /** The deployed workers, once no restart is in progress. */
  workers(): Promise<WorkerSummary[]>;
  /** The URL a worker answers at (its own loopback port while it serves OAuth). */
  origin(worker: string): Promise<{ url: string }>;
}

/** Answers a request whose path starts with ADMIN_PREFIX. */
export type AdminRoutes = (request: Request, path: string) => Promise<ApiResponse>;

export function createAdminRoutes(options: AdminOptions): AdminRoutes {
  const { faults, requests, analytics } = options;
  const open = new Router();
  const guarded = new Router();
  const at = (path: string) => `${ADMIN_PREFIX}${path}`;
  const scriptOf = (query: URLSearchParams) => query.get('script') ?? undefined;

  open.route('GET', at('/health'), async () => ok(options.health()));
  open.route('GET', at('/identity'), async ({ query }) => {
    const nonce = query.get('nonce');
    if (!isValidNonce(nonce)) throw errors.badRequest('nonce must be 16 to 128 base64url characters');
    return ok(options.identity(nonce));
  });

  guarded.route('GET', at('/faults'), async () => ok(faults.current));
  const setFaults = async ({ request }: { request: Request }) => {
    const parsed = FaultPatchSchema.safeParse(await readJson(request));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw errors.badRequest(`Invalid fault settings: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid'}`);
    }
    faults.update(parsed.data);
    return ok(faults.current);
  };
  guarded.route('PUT', at('/faults'), setFaults);
  guarded.route('PATCH', at('/faults'), setFaults);

  guarded.route('GET', at('/requests'), async ({ query }) => {
    const since = Number(query.get('since') ?? Number.NaN);
    return ok(requests.list({ since: Number.isFinite(since) ? since : undefined, script: scriptOf(query) }));
  });
  guarded.route('DELETE', at('/requests'), async () => {
    requests.clear();
    return ok(null);
  });

  guarded.route('GET', at('/analytics'), async ({ query }) => ok(analytics.list(scriptOf(query))));
  guarded.route('DELETE', at('/analytics'), async ({ query }) => {
    analytics.clear(scriptOf(query));
    return ok(null);
  });

  guarded.route('GET', at('/workers'), async () => ok(await options.workers()));
  guarded.route('GET', at('/workers/:worker/origin'), async ({ params }) => {
    const worker = (params as Readonly<Record<string, string>>).worker ?? '';
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(worker)) throw errors.badRequest('not a worker name');
    return ok(await options.origin(worker));
  });

  return async (request, path) => {
    const method = request.method.toUpperCase();
    try {
      const unguarded = open.match(method, path).matched;
      if (unguarded) return await invoke(unguarded, request);
      if (!options.authorized(request)) throw errors.authentication();
      // Another method on a known path is no route here (not 405), as the admin routes always answered.
      const { matched } = guarded.match(method, path);
      if (!matched) throw errors.noRoute(method, path);
      return await invoke(matched, request);
    } catch (error) {
      if (error instanceof ApiError) return error.toResponse();
      throw error;
    }
  };
}
