import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiError, errors, ok } from '../net/envelope.js';
import { type EdgeStore, newId, type TokenRecord } from '../store.js';
import type { PlaneContext } from './context.js';
import type { Router } from './router.js';

/**
 * API tokens with permissions, as Cloudflare has them: the edge's own token (identity.json) may do
 * everything; `POST /user/tokens` makes tokens with some permission groups only, and every route
 * asks for the group Cloudflare would (requiredPermission). So a token lacking, say, "Workers KV
 * Storage Write" is refused where Cloudflare refuses it, and `GET /user/tokens/:id` shows what it
 * holds, which `mcp-fleet doctor` reads.
 */

/** The permission groups the edge knows, by Cloudflare's API names (the dashboard says "Edit" for "Write"). */
export const PERMISSION_GROUP_NAMES = [
  'Workers Scripts Write',
  'Workers Scripts Read',
  'Workers KV Storage Write',
  'Workers KV Storage Read',
  'Account Analytics Read',
  'Workers Tail Read',
  'Account Settings Read',
  'API Tokens Write',
  'API Tokens Read',
] as const;

/** The edge's own ids for the groups (Cloudflare's are opaque too; callers look them up by name). */
export function permissionGroupId(name: string): string {
  return createHash('sha256').update(`permission-group:${name}`).digest('hex').slice(0, 32);
}

const GROUPS = PERMISSION_GROUP_NAMES.map((name) => ({ id: permissionGroupId(name), name, scopes: ['com.cloudflare.api.account'] }));

/** The id verify gives the edge's own token. */
export const ROOT_TOKEN_ID = 'local-token';

/** Who called: the edge's own token (every permission) or one made through the API. */
export type Caller = { kind: 'root' } | { kind: 'token'; record: TokenRecord };

/**
 * The permission group a request needs (write implies read), or undefined when any valid token may
 * make it (accounts, memberships, the user, token verify).
 */
export function requiredPermission(method: string, path: string): string | undefined {
  const reads = method === 'GET' || method === 'HEAD';
  if (/\/tokens\/verify$/.test(path)) return undefined;
  if (/^\/accounts\/[^/]+\/workers\/scripts\/[^/]+\/tails(\/|$)/.test(path)) return 'Workers Tail Read';
  if (/^\/accounts\/[^/]+\/workers(\/|$)/.test(path)) return reads ? 'Workers Scripts Read' : 'Workers Scripts Write';
  if (/^\/accounts\/[^/]+\/storage\/kv(\/|$)/.test(path)) return reads ? 'Workers KV Storage Read' : 'Workers KV Storage Write';
  if (/^\/accounts\/[^/]+\/analytics_engine\/sql$/.test(path)) return 'Account Analytics Read';
  if (/^\/(user|accounts\/[^/]+)\/tokens(\/|$)/.test(path)) return reads ? 'API Tokens Read' : 'API Tokens Write';
  return undefined;
}

/** Whether holding `held` allows `needed`: the group itself, or its Write for a Read. */
export function grants(held: readonly string[], needed: string): boolean {
  return held.includes(needed) || (needed.endsWith(' Read') && held.includes(`${needed.slice(0, -' Read'.length)} Write`));
}

export function callerHas(caller: Caller, needed: string | undefined): boolean {
  return needed === undefined || caller.kind === 'root' || grants(caller.record.permissions, needed);
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Constant-time, so a token cannot be guessed a byte at a time from response timings.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The caller a request's bearer token names, if it names one. */
export function callerOf(request: Request, store: EdgeStore): Caller | undefined {
  const header = request.headers.get('authorization') ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header.trim())?.[1]?.trim();
  if (bearer === undefined) return undefined;
  if (same(bearer, store.identity.token)) return { kind: 'root' };
  const record = store.tokens().find((candidate) => same(bearer, candidate.value));
  return record ? { kind: 'token', record } : undefined;
}

interface TokenPolicyBody {
  effect?: unknown;
  permission_groups?: unknown;
}

function permissionsOfBody(body: unknown): string[] {
  const policies = (body as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(policies) || policies.length === 0) throw errors.badRequest('policies: at least one policy is required');
  const names = new Set<string>();
  for (const policy of policies as TokenPolicyBody[]) {
    if (policy.effect !== undefined && policy.effect !== 'allow') throw errors.badRequest('policies: only "allow" policies are supported');
    if (!Array.isArray(policy.permission_groups)) throw errors.badRequest('policies: permission_groups is required');
    for (const group of policy.permission_groups as { id?: unknown }[]) {
      const known = GROUPS.find((candidate) => candidate.id === group?.id);
      if (!known) throw errors.badRequest(`permission group ${String(group?.id)} does not exist`);
      names.add(known.name);
    }
  }
  return [...names];
}

function tokenDetails(accountId: string, id: string, name: string, issuedOn: string, permissions: readonly string[]) {
  return {
    id,
    name,
    status: 'active',
    issued_on: issuedOn,
    modified_on: issuedOn,
    policies: [
      {
        id: permissionGroupId(`policy:${id}`),
        effect: 'allow',
        resources: { [`com.cloudflare.api.account.${accountId}`]: '*' },
        permission_groups: GROUPS.filter((group) => permissions.includes(group.name)).map(({ id: groupId, name: groupName }) => ({
          id: groupId,
          name: groupName,
        })),
      },
    ],
  };
}

/** Token routes; `caller` is the request's (the control plane has checked it carries a valid token). */
export function registerTokenRoutes(router: Router, plane: PlaneContext, caller: (request: Request) => Caller | undefined): void {
  const { route } = router;
  const { store, accountId } = plane;
  const verify = async ({ request }: { request: Request }) => {
    const who = caller(request);
    return ok({ id: who?.kind === 'token' ? who.record.id : ROOT_TOKEN_ID, status: 'active' });
  };
  const details = async ({ params }: { params: { token: string } }) => {
    if (params.token === ROOT_TOKEN_ID)
      return ok(tokenDetails(accountId, ROOT_TOKEN_ID, 'mcp-fleet local edge', '2025-01-01T00:00:00Z', PERMISSION_GROUP_NAMES));
    const record = store.tokens().find((candidate) => candidate.id === params.token);
    if (!record) throw new ApiError(404, 1003, 'Invalid token id');
    return ok(tokenDetails(accountId, record.id, record.name, record.issued_on, record.permissions));
  };
  const groups = async () => ok(GROUPS);
  const create = async ({ request }: { request: Request }) => {
    const body = (await request.json().catch(() => null)) as { name?: unknown } | null;
    if (typeof body?.name !== 'string' || body.name.trim() === '') throw errors.badRequest('name: a token needs a name');
    const record: TokenRecord = {
      id: newId(),
      name: body.name,
      // Cloudflare API tokens are 40 characters of [A-Za-z0-9_-].
      value: randomBytes(30).toString('base64url'),
      issued_on: plane.now(),
      permissions: permissionsOfBody(body),
    };
    await store.exclusive(() => store.addToken(record));
    return ok({ ...tokenDetails(accountId, record.id, record.name, record.issued_on, record.permissions), value: record.value });
  };
  route('GET', '/user/tokens/verify', verify);
  route('GET', '/accounts/:account/tokens/verify', verify);
  route('GET', '/user/tokens/permission_groups', groups);
  route('GET', '/accounts/:account/tokens/permission_groups', groups);
  route('POST', '/user/tokens', create);
  route('POST', '/accounts/:account/tokens', create);
  route('GET', '/user/tokens/:token', details);
  route('GET', '/accounts/:account/tokens/:token', details);
}
