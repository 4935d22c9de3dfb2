import { ok, paged } from '../net/envelope.js';
import { AUTHOR, type PlaneContext } from './context.js';
import { positiveInt, type Router } from './router.js';

/**
 * Account and user lookups (wrangler's whoami, account choice, workers.dev subdomain): the edge has
 * one fixed account. The lists page as Cloudflare's do: the SDK's auto-pagination asks for the next
 * page until one comes back empty, so a page past the end must be empty.
 */
export function registerAccountRoutes(router: Router, { accountId, subdomain }: PlaneContext): void {
  const { route } = router;
  const account = () => ({
    id: accountId,
    name: 'mcp-fleet local edge',
    type: 'standard',
    settings: {},
    created_on: '2025-01-01T00:00:00Z',
  });
  const page = (items: unknown[], query: URLSearchParams) => {
    const { items: slice, info } = paged(items, positiveInt(query.get('page'), 1), positiveInt(query.get('per_page'), 20));
    return ok(slice, { resultInfo: info });
  };
  route('GET', '/accounts', async ({ query }) => page([account()], query));
  route('GET', '/accounts/:account', async () => ok(account()));
  route('GET', '/memberships', async ({ query }) =>
    page(
      [
        {
          id: 'local-membership',
          status: 'accepted',
          account: { id: accountId, name: account().name },
          roles: ['Administrator'],
          permissions: {},
        },
      ],
      query,
    ),
  );
  route('GET', '/user', async () => ok({ id: 'local', email: AUTHOR, first_name: null, last_name: null }));
  route('GET', '/accounts/:account/workers/account-settings', async () => ok({ default_usage_model: 'standard', green_compute: false }));
  route('GET', '/accounts/:account/workers/subdomain', async () => ok({ subdomain }));
  route('PUT', '/accounts/:account/workers/subdomain', async () => ok({ subdomain }));
  route('GET', '/accounts/:account/workers/domains', async () => ok([]));
}
