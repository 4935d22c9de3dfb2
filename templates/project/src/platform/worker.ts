import { type CallerRecord, isFleetProbe, recordRequest, subjectHash } from './analytics';
import { authenticate } from './auth';
import type { Env } from './env';
import { handleHealth } from './health';
import { json, methodNotAllowed } from './http';
import type { Identity } from './identity';
import { handleMcp } from './mcp';
import { withOAuth } from './oauth';
import { checkOrigin, forbiddenOrigin, preflight, withCors } from './origin';
import { rateLimited } from './rate-limit';
import { handleReady } from './ready';
import { missingSettings } from './secrets';

/**
 * Route labels written to analytics. Unknown paths share one label so that
 * scanners cannot blow up the dataset's cardinality.
 */
type Route = '/health' | '/ready' | '/mcp' | 'unmatched';

function routeOf(pathname: string): Route {
  return pathname === '/health' || pathname === '/ready' || pathname === '/mcp' ? pathname : 'unmatched';
}

interface Answer {
  response: Response;
  /** The MCP revision the request spoke, for analytics; '' when none. */
  protocol: string;
  /** How the caller got in and a hash of who they are, once /mcp let them in. */
  caller?: CallerRecord;
  /** Set on a tools/call /mcp served: whether the tool failed. */
  toolCall?: { failed: boolean };
}

/** The identity the OAuth provider put on the context (./oauth/), when it let the request through. */
function identityOf(ctx: ExecutionContext): Identity | undefined {
  const props = (ctx as ExecutionContext & { props?: { identity?: Identity } }).props;
  return props?.identity;
}

async function dispatch(route: Route, request: Request, env: Env, ctx: ExecutionContext): Promise<Answer> {
  const readOnly = request.method === 'GET' || request.method === 'HEAD';
  switch (route) {
    case '/health':
      return { response: readOnly ? handleHealth(env) : methodNotAllowed(['GET', 'HEAD']), protocol: '' };
    case '/ready':
      return { response: readOnly ? await handleReady(env) : methodNotAllowed(['GET', 'HEAD']), protocol: '' };
    case '/mcp': {
      // Origin first, before the key: a page on a foreign site learns nothing, not even whether
      // the key it guessed is right, and an allowed page's preflight never needs one.
      const origin = checkOrigin(request, env);
      if (origin.kind === 'forbidden') return { response: forbiddenOrigin(), protocol: '' };
      const answer = await serveMcp(request, env, ctx);
      return origin.kind === 'allowed' ? { ...answer, response: withCors(answer.response, origin.origin) } : answer;
    }
    case 'unmatched':
      // Also /.well-known/oauth-protected-resource: a key-only server must not look like an
      // OAuth resource, or hosts that find that document (Cursor) drop the configured key.
      return { response: json(404, { error: 'not_found', path: new URL(request.url).pathname }), protocol: '' };
  }
}

async function serveMcp(request: Request, env: Env, ctx: ExecutionContext): Promise<Answer> {
  if (request.method === 'OPTIONS') return { response: preflight(request), protocol: '' };
  // Neither generation has a use for GET or DELETE here: 2026-07-28 has no standalone stream,
  // and a stateless 2025 server neither pushes messages nor keeps sessions to end. Clients
  // read 405 as "no stream offered".
  if (request.method !== 'POST') return { response: methodNotAllowed(['POST', 'OPTIONS']), protocol: '' };
  const caller = await authenticate(request, env, identityOf(ctx));
  if (caller instanceof Response) {
    // Tells the operator why a caller was turned away (mcp-fleet logs, Workers Logs): the
    // status and whether a credential came at all, never the header or the credential itself.
    console.warn(
      `auth: refused ${caller.status}, ${caller.status === 503 ? 'no API_KEY secret set' : request.headers.has('authorization') ? 'credential not valid' : 'no credential sent'}`,
    );
    return { response: caller, protocol: '' };
  }
  // Authenticated but incomplete (e.g. no UPSTREAM_TOKEN yet, or no CLIENT_ID var): stay
  // closed rather than serve half a client. Names only, as on /ready.
  const missing = missingSettings(env);
  if (missing.length > 0) return { response: json(503, { error: 'not_ready', missing }), protocol: '' };
  const limited = await rateLimited(request, env, caller);
  if (limited) return { response: limited, protocol: '', caller: { via: caller.via, subjectHash: await subjectHash(caller) } };
  const { response, revision, toolCall } = await handleMcp(request, env, ctx, caller);
  return {
    response,
    protocol: revision ?? '',
    caller: { via: caller.via, subjectHash: await subjectHash(caller) },
    ...(toolCall ? { toolCall } : {}),
  };
}

/** The worker's fetch handler: routes, answers, and records one data point per request. */
const worker = {
  async fetch(request, env, ctx): Promise<Response> {
    const started = Date.now();
    const label = routeOf(new URL(request.url).pathname);
    let answer: Answer;
    try {
      answer = await dispatch(label, request, env, ctx);
    } catch (error) {
      // Stack traces stay in the logs; callers get a bare 500.
      console.error('unhandled error', error);
      answer = { response: json(500, { error: 'internal_error' }), protocol: '' };
    }
    recordRequest(env, {
      route: label,
      method: request.method,
      status: answer.response.status,
      durationMs: Date.now() - started,
      protocol: answer.protocol,
      probe: isFleetProbe(request),
      caller: answer.caller,
      toolCall: answer.toolCall,
      version: env.CF_VERSION_METADATA?.id ?? '',
    });
    return answer.response;
  },
} satisfies ExportedHandler<Env>;

export default withOAuth(worker);
