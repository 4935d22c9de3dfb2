import type { KvData } from '../kv/kv-data.js';
import { checkKey } from '../kv/kv-rules.js';
import type { KvNamespaceRecord } from '../kv/namespaces.js';
import { errors, ok } from '../net/envelope.js';
import { type Router, readJsonObject } from './router.js';
import { checkFields, type OperationFields } from './schema-fields.js';

/** The KV reads beside a value's GET: a key's metadata, and up to 100 values in one call (`wrangler kv bulk get`). */

const BULK_GET: OperationFields = { what: 'a KV bulk read', defined: ['keys', 'type', 'withMetadata'], wranglerExtras: [] };
const MAX_BULK_GET = 100;

export function registerKvReadRoutes(
  router: Router,
  base: string,
  requireNamespace: (id: string) => KvNamespaceRecord,
  data: KvData,
): void {
  const { route } = router;

  route('GET', `${base}/:namespace/metadata/:key`, async ({ params }) => {
    requireNamespace(params.namespace);
    checkKey(params.key);
    const entry = await data.entryOf(params.namespace, params.key);
    if (!entry) throw errors.kvKeyNotFound();
    return ok(entry.metadata ?? null);
  });

  route('POST', `${base}/:namespace/bulk/get`, async ({ params, request }) => {
    requireNamespace(params.namespace);
    const body = await readJsonObject(request);
    checkFields(BULK_GET, body);
    const { keys, type = 'text', withMetadata = false } = body;
    if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string'))
      throw errors.badRequest('"keys" must be an array of key names');
    if (keys.length > MAX_BULK_GET) throw errors.badRequest(`A bulk read takes at most ${MAX_BULK_GET} keys`);
    if (type !== 'text' && type !== 'json') throw errors.badRequest('"type" must be "text" or "json"');
    const values: Record<string, unknown> = {};
    for (const key of keys as string[]) {
      checkKey(key);
      const bytes = await data.get(params.namespace, key);
      const text = bytes === undefined ? undefined : new TextDecoder().decode(bytes);
      let value: unknown = text ?? null;
      if (text !== undefined && type === 'json') {
        try {
          value = JSON.parse(text) as unknown;
        } catch {
          throw errors.badRequest(`The value of "${key}" is not JSON`);
        }
      }
      if (withMetadata !== true) values[key] = value;
      else if (text === undefined) values[key] = null;
      else {
        const entry = await data.entryOf(params.namespace, key);
        values[key] = { value, metadata: entry?.metadata ?? null, ...(entry?.expiration ? { expiration: entry.expiration } : {}) };
      }
    }
    return ok({ values });
  });
}
