import type { AnalyticsStore } from '../analytics/store.js';
import { ApiError, type ApiResponse, CfCode, errors, fail } from '../net/envelope.js';
import { registerAccountRoutes } from './account-routes.js';
import { registerAnalyticsSqlRoutes } from './analytics-sql-routes.js';
import { type ControlPlaneOptions, createPlaneContext } from './context.js';
import { registerKvRoutes } from './kv-routes.js';
import { invoke, Router } from './router.js';
import { registerScriptRoutes } from './script-routes.js';
import { registerSecretRoutes } from './secret-routes.js';
import { registerServiceRoutes } from './service-routes.js';
import { callerHas, callerOf, registerTokenRoutes, requiredPermission } from './token-routes.js';
import { registerVersionRoutes } from './version-routes.js';

/**
 * The part of the Cloudflare v4 API that wrangler (deploy, secret, deployments, delete, tail) and mcp-fleet use,
 * answered over the edge's store. Paths are relative to /client/v4. Every answer is Cloudflare's
 * envelope; every failure a Cloudflare error code. Mutations persist first, then ask the runtime to
 * sync; an upload whose code fails to start is rolled back and answered with 10021.
 */

export type { ControlPlaneOptions } from './context.js';

export interface RoutedResponse extends ApiResponse {
  /** The matched route pattern (for the request log), or null. */
  route: string | null;
  /** The worker named in the path, if any. */
  script: string | null;
}

export interface ControlPlane {
  handle(request: Request, path: string): Promise<RoutedResponse>;
  /** True when the request carries the edge's own token (tokens made through the API are not the admin's). */
  authorized(request: Request): boolean;
}

/** The Analytics Engine SQL API answers from `analytics`, the data points the edge's workers wrote. */
export function createControlPlane(options: ControlPlaneOptions & { analytics?: AnalyticsStore }): ControlPlane {
  const plane = createPlaneContext(options);
  const router = new Router();
  const caller = (request: Request) => callerOf(request, options.store);
  registerTokenRoutes(router, plane, caller);
  registerAccountRoutes(router, plane);
  registerScriptRoutes(router, plane);
  registerSecretRoutes(router, plane);
  registerVersionRoutes(router, plane);
  registerServiceRoutes(router, plane);
  registerAnalyticsSqlRoutes(router, plane, options.analytics);
  if (options.kv) registerKvRoutes(router, plane, options.kv);

  const authorized = (request: Request) => caller(request)?.kind === 'root';

  async function handle(request: Request, path: string): Promise<RoutedResponse> {
    const method = request.method.toUpperCase();
    const { matched, otherMethod } = router.match(method, path);
    // Unmatched paths are still logged against the worker they name.
    const script = matched?.params.script ?? scriptNamedIn(path);
    const routeName = matched ? `${matched.route.method} ${matched.route.pattern}` : null;
    const answer = (response: ApiResponse): RoutedResponse => ({ ...response, route: routeName, script });
    try {
      const who = caller(request);
      if (!who) {
        // The token endpoints say "Invalid API Token" (1000), which wrangler's whoami relies on.
        if (/\/tokens\/verify$/.test(path)) throw new ApiError(401, 1000, 'Invalid API Token');
        throw errors.authentication();
      }
      // A valid token without the permission group the route needs: Cloudflare's answer is the same 10000.
      if (!callerHas(who, requiredPermission(method, path))) throw errors.authentication();
      if (!matched) throw otherMethod ? errors.methodNotAllowed(method, path) : errors.noRoute(method, path);
      if (matched.params.account !== undefined && matched.params.account !== plane.accountId) throw errors.authentication();
      return answer(await invoke(matched, request));
    } catch (error) {
      if (error instanceof ApiError) return answer(error.toResponse());
      return answer(fail(500, CfCode.internal, `Internal error in the local edge: ${describe(error)}`));
    }
  }

  return { handle, authorized };
}

/** The worker an API path names, if any (for the request log, also of requests no route answered). */
export function scriptNamedIn(path: string): string | null {
  return /\/workers\/(?:scripts|services|workers|tails\/by-consumer)\/([^/]+)/.exec(path)?.[1] ?? null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
