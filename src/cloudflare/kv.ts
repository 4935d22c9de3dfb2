import { APIError } from 'cloudflare';
import { type CreateApiOptions, createSdk, toFleetError } from './api.js';
import { sharedPacer } from './pacer.js';
import type { Target } from './target.js';

/**
 * Workers KV through the API: a client's namespace (binding OAUTH_KV, for oauth and jwt modes) and
 * the keys mcp-fleet reads and writes in it (invitations, grants, revocations). Every call goes
 * through the shared pacer. Budgets: ensureNamespace 1 call (2 + list pages when it exists already),
 * findNamespace one call per 1,000 namespaces, put/get/delete 1, listKeys one per 1,000 keys,
 * deleteKeys one per 10,000.
 */

export interface KvNamespace {
  id: string;
  title: string;
}

export interface KvApi {
  /** Creates it, or returns the existing one with that title (10014): re-running converges. */
  ensureNamespace(title: string): Promise<KvNamespace>;
  findNamespace(title: string): Promise<KvNamespace | undefined>;
  /** Absent is fine. */
  deleteNamespace(id: string): Promise<void>;
  /** `metadata` (at most 1,024 bytes of JSON) comes back with the key in listKeys, so a listing needs no reads. */
  put(
    namespaceId: string,
    key: string,
    value: string,
    options?: { expirationTtl?: number; metadata?: Record<string, unknown> },
  ): Promise<void>;
  get(namespaceId: string, key: string): Promise<string | undefined>;
  /** Follows the cursor to the end. */
  listKeys(namespaceId: string, prefix?: string): Promise<KvKey[]>;
  /** In bulk, 10,000 keys per call. */
  deleteKeys(namespaceId: string, keys: readonly string[]): Promise<void>;
}

export interface KvKey {
  name: string;
  /** When it expires, in seconds since the epoch. */
  expiration?: number;
  metadata?: unknown;
}

const TITLE_EXISTS = 10014;
const NAMESPACE_NOT_FOUND = 10013;
const KEY_NOT_FOUND = 10009;
/** The most namespaces one list page holds (as wrangler asks for them): an account's 1,000 fit in one. */
const PER_PAGE = 1000;
/** The most keys one list page holds. */
const KEYS_PER_PAGE = 1000;
/** The most keys one bulk delete takes. */
export const BULK_DELETE_MAX = 10_000;

export function createKvApi(target: Target, options: CreateApiOptions = {}): KvApi {
  const pacer = options.pacer ?? sharedPacer();
  const sdk = createSdk(target, { ...options, pacer });
  const account_id = target.accountId;

  async function findNamespace(title: string): Promise<KvNamespace | undefined> {
    try {
      for (let page = 1; ; page++) {
        const listed = await sdk.kv.namespaces.list({ account_id, page, per_page: PER_PAGE });
        const items = listed.getPaginatedItems();
        const found = items.find((namespace) => namespace.title === title);
        if (found) return { id: found.id, title: found.title };
        // A short page is the last one: no call is spent on the empty page after it.
        if (items.length < PER_PAGE) return undefined;
      }
    } catch (error) {
      throw toFleetError(error, `looking for KV namespace "${title}"`, target);
    }
  }

  return {
    async ensureNamespace(title) {
      try {
        const created = await sdk.kv.namespaces.create({ account_id, title });
        return { id: created.id, title: created.title };
      } catch (error) {
        if (!hasCode(error, TITLE_EXISTS)) throw toFleetError(error, `creating KV namespace "${title}"`, target);
      }
      const existing = await findNamespace(title);
      if (existing) return existing;
      // Deleted between the two calls: one more try makes it.
      try {
        const created = await sdk.kv.namespaces.create({ account_id, title });
        return { id: created.id, title: created.title };
      } catch (error) {
        throw toFleetError(error, `creating KV namespace "${title}"`, target);
      }
    },
    findNamespace,
    async deleteNamespace(id) {
      try {
        await sdk.kv.namespaces.delete(id, { account_id });
      } catch (error) {
        if (hasCode(error, NAMESPACE_NOT_FOUND) || (error instanceof APIError && error.status === 404)) return;
        throw toFleetError(error, `deleting KV namespace ${id}`, target);
      }
    },
    async put(namespaceId, key, value, putOptions = {}) {
      try {
        await sdk.kv.namespaces.values.update(key, {
          account_id,
          namespace_id: namespaceId,
          value,
          ...(putOptions.expirationTtl !== undefined ? { expiration_ttl: putOptions.expirationTtl } : {}),
          // The API takes the metadata part as JSON text; an object would go out as form fields.
          ...(putOptions.metadata !== undefined ? { metadata: JSON.stringify(putOptions.metadata) } : {}),
        });
      } catch (error) {
        throw toFleetError(error, `writing a key in KV namespace ${namespaceId}`, target);
      }
    },
    async get(namespaceId, key) {
      try {
        const response = await sdk.kv.namespaces.values.get(key, { account_id, namespace_id: namespaceId });
        return await response.text();
      } catch (error) {
        if (hasCode(error, KEY_NOT_FOUND)) return undefined;
        throw toFleetError(error, `reading a key in KV namespace ${namespaceId}`, target);
      }
    },
    async listKeys(namespaceId, prefix) {
      const names: KvKey[] = [];
      try {
        const query = { account_id, limit: KEYS_PER_PAGE, ...(prefix ? { prefix } : {}) };
        for await (const key of sdk.kv.namespaces.keys.list(namespaceId, query))
          names.push({
            name: key.name,
            ...(key.expiration === undefined ? {} : { expiration: key.expiration }),
            ...(key.metadata === undefined ? {} : { metadata: key.metadata }),
          });
      } catch (error) {
        throw toFleetError(error, `listing the keys of KV namespace ${namespaceId}`, target);
      }
      return names;
    },
    async deleteKeys(namespaceId, keys) {
      for (let start = 0; start < keys.length; start += BULK_DELETE_MAX) {
        const chunk = keys.slice(start, start + BULK_DELETE_MAX);
        try {
          await sdk.kv.namespaces.bulkDelete(namespaceId, { account_id, body: [...chunk] });
        } catch (error) {
          throw toFleetError(error, `deleting ${chunk.length} key(s) in KV namespace ${namespaceId}`, target);
        }
      }
    },
  };
}

function hasCode(error: unknown, code: number): boolean {
  return error instanceof APIError && error.errors.some((entry) => entry.code === code);
}
