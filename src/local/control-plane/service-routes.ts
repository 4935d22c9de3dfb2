import { ok, paged } from '../net/envelope.js';
import type { PlaneContext } from './context.js';
import { positiveInt, type Router } from './router.js';

/**
 * What `wrangler tail` and `wrangler delete` ask beyond a worker's own routes: tails (tail-hub.ts),
 * the dependency checks delete makes first (nothing on the edge binds to another worker, so there
 * are none), the service delete itself, and the account's Durable Object namespace list (the edge
 * has none). The KV namespace list, where delete looks for a Workers Sites namespace, is kv-routes.ts'.
 */
export function registerServiceRoutes(router: Router, plane: PlaneContext): void {
  const { route } = router;
  const { requireScript, tails } = plane;
  const emptyPage = (query: URLSearchParams) => {
    const { items, info } = paged([], positiveInt(query.get('page'), 1), positiveInt(query.get('per_page'), 20));
    return ok(items, { resultInfo: info });
  };

  route('POST', '/accounts/:account/workers/scripts/:script/tails', async ({ params, request }) => {
    requireScript(params.script);
    // The filters wrangler sends (status, method, sampling…) are not applied: every event is sent.
    await request.arrayBuffer();
    return ok(tails.create(params.script));
  });
  route('GET', '/accounts/:account/workers/scripts/:script/tails', async ({ params }) => {
    requireScript(params.script);
    // One tail, as the schema has it; null when the worker has none (the schema defines no error for that).
    return ok(tails.current(params.script) ?? null);
  });
  route('DELETE', '/accounts/:account/workers/scripts/:script/tails/:tail', async ({ params }) => {
    tails.delete(params.script, params.tail);
    return ok(null);
  });
  route('GET', '/accounts/:account/workers/tails/by-consumer/:script', async () => ok([]));

  route('GET', '/accounts/:account/workers/scripts/:script/references', async ({ params }) => {
    requireScript(params.script);
    return ok({ services: { incoming: [], outgoing: [], pages_function: false }, durable_objects: [], dispatch_outbounds: [] });
  });
  route('DELETE', '/accounts/:account/workers/services/:script', async ({ params }) => {
    await plane.deleteWorker(params.script);
    return ok({ id: params.script });
  });

  route('GET', '/accounts/:account/workers/durable_objects/namespaces', async ({ query }) => emptyPage(query));
}
