import type { KvData, KvWrite } from '../kv/kv-data.js';
import {
  checkExpiry,
  checkKey,
  checkMetadata,
  checkTitle,
  checkValue,
  MAX_BULK,
  MAX_LIST_LIMIT,
  MAX_VALUE_BYTES,
  MIN_LIST_LIMIT,
} from '../kv/kv-rules.js';
import type { KvNamespaceRecord, KvNamespaces } from '../kv/namespaces.js';
import { ApiError, CfCode, errors, ok, paged } from '../net/envelope.js';
import type { PlaneContext } from './context.js';
import { registerKvReadRoutes } from './kv-read-routes.js';
import { positiveInt, type Router, readJson, readJsonObject } from './router.js';
import { checkFields, KV_BULK_ENTRY, KV_NAMESPACE } from './schema-fields.js';

/**
 * Workers KV under `/accounts/:account/storage/kv/namespaces`, in Cloudflare's shapes: namespaces
 * (create, list with page/per_page, get, rename, delete with their data), values (raw bytes in and
 * out, or multipart `value` + `metadata`; expiration and expiration_ttl), key lists with
 * `result_info.cursor`, bulk writes and deletes. Namespace changes run one at a time (the store's
 * queue), so two creates of one title cannot both succeed.
 */

export interface EdgeKv {
  namespaces: KvNamespaces;
  data: KvData;
}

const BASE = '/accounts/:account/storage/kv/namespaces';
// wrangler's `kv namespace list` asks for 1,000 per page.
const MAX_PER_PAGE = 1000;

export function registerKvRoutes(router: Router, plane: PlaneContext, kv: EdgeKv): void {
  const { route } = router;
  const { namespaces, data } = kv;
  const shape = (record: KvNamespaceRecord) => ({ id: record.id, title: record.title, supports_url_encoding: true });
  const requireNamespace = (id: string) => {
    const record = namespaces.get(id);
    if (!record) throw errors.kvNamespaceNotFound();
    return record;
  };
  const exclusive = <T>(fn: () => Promise<T>) => plane.store.exclusive(fn);

  route('GET', BASE, async ({ query }) => {
    const perPage = positiveInt(query.get('per_page'), 20);
    if (perPage > MAX_PER_PAGE) throw errors.badRequest(`per_page must be at most ${MAX_PER_PAGE}`);
    const order = query.get('order');
    const direction = query.get('direction') === 'desc' ? -1 : 1;
    const all = namespaces.list();
    if (order === 'id' || order === 'title') all.sort((a, b) => a[order].localeCompare(b[order]) * direction);
    else if (direction === -1) all.reverse();
    const { items, info } = paged(all, positiveInt(query.get('page'), 1), perPage);
    return ok(items.map(shape), { resultInfo: info });
  });

  /** The title of a create or rename body, which may hold nothing else. */
  const titleOf = async (request: Request) => {
    const body = await readJsonObject(request);
    checkFields(KV_NAMESPACE, body);
    return checkTitle(body.title);
  };

  route('POST', BASE, async ({ request }) => {
    const title = await titleOf(request);
    return exclusive(async () => {
      if (namespaces.withTitle(title))
        throw new ApiError(400, CfCode.kvNamespaceTitleExists, 'a namespace with this account ID and title already exists');
      return ok(shape(await namespaces.create(title)));
    });
  });

  route('GET', `${BASE}/:namespace`, async ({ params }) => ok(shape(requireNamespace(params.namespace))));

  route('PUT', `${BASE}/:namespace`, async ({ params, request }) => {
    const title = await titleOf(request);
    return exclusive(async () => {
      requireNamespace(params.namespace);
      const other = namespaces.withTitle(title);
      if (other && other.id !== params.namespace)
        throw new ApiError(400, CfCode.kvNamespaceTitleExists, 'a namespace with this account ID and title already exists');
      const renamed = await namespaces.rename(params.namespace, title);
      return ok(renamed ? shape(renamed) : null);
    });
  });

  route('DELETE', `${BASE}/:namespace`, async ({ params }) =>
    exclusive(async () => {
      requireNamespace(params.namespace);
      await data.clear(params.namespace);
      await namespaces.delete(params.namespace);
      return ok({});
    }),
  );

  route('GET', `${BASE}/:namespace/values/:key`, async ({ params }) => {
    requireNamespace(params.namespace);
    checkKey(params.key);
    const value = await data.get(params.namespace, params.key);
    if (value === undefined) throw errors.kvKeyNotFound();
    // The value itself, not an envelope.
    return { status: 200, body: value, headers: { 'content-type': 'application/octet-stream' } };
  });

  route('PUT', `${BASE}/:namespace/values/:key`, async ({ params, query, request }) => {
    requireNamespace(params.namespace);
    checkKey(params.key);
    const expiry = checkExpiry(query.get('expiration'), query.get('expiration_ttl'));
    const { value, metadata } = await readValue(request);
    await data.write(params.namespace, [{ key: params.key, value, metadata, ...expiry }]);
    return ok({});
  });

  route('DELETE', `${BASE}/:namespace/values/:key`, async ({ params }) => {
    requireNamespace(params.namespace);
    checkKey(params.key);
    await data.delete(params.namespace, [params.key]);
    return ok({});
  });

  route('GET', `${BASE}/:namespace/keys`, async ({ params, query }) => {
    requireNamespace(params.namespace);
    const rawLimit = query.get('limit');
    const limit = rawLimit === null ? MAX_LIST_LIMIT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < MIN_LIST_LIMIT || limit > MAX_LIST_LIMIT)
      throw errors.badRequest(`Invalid key_count_limit of ${rawLimit}: limit must be between ${MIN_LIST_LIMIT} and ${MAX_LIST_LIMIT}`);
    const page = await data.list(params.namespace, {
      prefix: query.get('prefix') ?? undefined,
      cursor: query.get('cursor') ?? undefined,
      limit,
    });
    return ok(page.keys, { resultInfo: { count: page.keys.length, cursor: page.cursor } });
  });

  route('PUT', `${BASE}/:namespace/bulk`, async ({ params, request }) => {
    requireNamespace(params.namespace);
    const body = await readJson(request);
    if (!Array.isArray(body)) throw errors.badRequest('The request body must be an array of key-value pairs');
    if (body.length > MAX_BULK) throw errors.badRequest(`A bulk write takes at most ${MAX_BULK} key-value pairs`);
    const writes = body.map(bulkWrite);
    await data.write(params.namespace, writes);
    return ok({ successful_key_count: writes.length, unsuccessful_keys: [] });
  });

  const bulkDelete = async ({ params, request }: { params: { readonly namespace: string }; request: Request }) => {
    requireNamespace(params.namespace);
    const body = await readJson(request);
    if (!Array.isArray(body) || body.some((key) => typeof key !== 'string'))
      throw errors.badRequest('The request body must be an array of key names');
    if (body.length > MAX_BULK) throw errors.badRequest(`A bulk delete takes at most ${MAX_BULK} keys`);
    for (const key of body as string[]) checkKey(key);
    await data.delete(params.namespace, body as string[]);
    return ok({ successful_key_count: body.length, unsuccessful_keys: [] });
  };
  route('POST', `${BASE}/:namespace/bulk/delete`, bulkDelete);
  // The older form, which `wrangler kv bulk delete` still uses.
  route('DELETE', `${BASE}/:namespace/bulk`, bulkDelete);
  registerKvReadRoutes(router, BASE, requireNamespace, data);
}

/** A value PUT: the raw body, or multipart with a `value` part and an optional `metadata` part (JSON). */
async function readValue(request: Request): Promise<{ value: Uint8Array; metadata?: unknown }> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_VALUE_BYTES + 64 * 1024) checkValue(declared);
  if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
    const value = new Uint8Array(await request.arrayBuffer());
    checkValue(value.byteLength);
    return { value };
  }
  const form = await request.formData().catch(() => {
    throw errors.badRequest('Malformed multipart body');
  });
  const part = form.get('value');
  if (part === null) throw errors.badRequest('The request has no "value" part');
  const value = typeof part === 'string' ? new TextEncoder().encode(part) : new Uint8Array(await part.arrayBuffer());
  checkValue(value.byteLength);
  const rawMetadata = form.get('metadata');
  if (rawMetadata === null) return { value };
  const text = typeof rawMetadata === 'string' ? rawMetadata : await rawMetadata.text();
  let metadata: unknown;
  try {
    metadata = JSON.parse(text) as unknown;
  } catch {
    throw errors.badRequest('The "metadata" part is not valid JSON');
  }
  checkMetadata(metadata);
  return { value, metadata };
}

function bulkWrite(item: unknown): KvWrite {
  if (typeof item !== 'object' || item === null) throw errors.badRequest('Every bulk entry must be an object with "key" and "value"');
  const entry = item as Record<string, unknown>;
  checkFields(KV_BULK_ENTRY, entry);
  if (typeof entry.key !== 'string' || typeof entry.value !== 'string')
    throw errors.badRequest('Every bulk entry needs a string "key" and a string "value"');
  checkKey(entry.key);
  const value = entry.base64 === true ? new Uint8Array(Buffer.from(entry.value, 'base64')) : new TextEncoder().encode(entry.value);
  checkValue(value.byteLength);
  checkMetadata(entry.metadata);
  return { key: entry.key, value, metadata: entry.metadata, ...checkExpiry(entry.expiration, entry.expiration_ttl) };
}
