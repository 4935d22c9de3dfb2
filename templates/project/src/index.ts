import { recordRequest } from './analytics';
import { rejectUnauthorized } from './auth';
import { type Env, type ExecutionContext, missingSecrets } from './env';
import { handleHealth } from './health';
import { json, methodNotAllowed } from './http';
import { handleMcp } from './mcp';
import { handleReady } from './ready';

/**
 * Route labels written to analytics. Unknown paths share one label so that
 * scanners cannot blow up the dataset's cardinality.
 */
type Route = '/health' | '/ready' | '/mcp' | 'unmatched';

function routeOf(pathname: string): Route {
  return pathname === '/health' || pathname === '/ready' || pathname === '/mcp' ? pathname : 'unmatched';
}

async function dispatch(route: Route, request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const readOnly = request.method === 'GET' || request.method === 'HEAD';
  switch (route) {
    case '/health':
      return readOnly ? handleHealth(env) : methodNotAllowed(['GET', 'HEAD']);
    case '/ready':
      return readOnly ? handleReady(env) : methodNotAllowed(['GET', 'HEAD']);
    case '/mcp': {
      const rejection = await rejectUnauthorized(request, env);
      if (rejection) return rejection;
      // Authenticated but incomplete (e.g. no UPSTREAM_TOKEN yet): stay closed
      // rather than serve half a client. Names only, as on /ready.
      const missing = missingSecrets(env);
      if (missing.length > 0) return json(503, { error: 'not_ready', missing });
      return handleMcp(request, env, ctx);
    }
    case 'unmatched':
      return json(404, { error: 'not_found', path: new URL(request.url).pathname });
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const started = Date.now();
    const label = routeOf(new URL(request.url).pathname);
    let response: Response;
    try {
      response = await dispatch(label, request, env, ctx);
    } catch (error) {
      // Stack traces stay in the logs; callers get a bare 500.
      console.error('unhandled error', error);
      response = json(500, { error: 'internal_error' });
    }
    recordRequest(env, { route: label, method: request.method, status: response.status, durationMs: Date.now() - started });
    return response;
  },
};
