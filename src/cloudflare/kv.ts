import { type CreateApiOptions, createSdk, isNotFound, toFleetError } from './api.js';
import type { Target } from './target.js';

/**
 * Workers KV through the Cloudflare API: the per-client identity namespaces (grants, invitations,
 * token revocations) are created, read, written and deleted here, one paced call per operation.
 */
export interface KvNamespace {
  id: string;
  title: string;
}

export interface KvApi {
  /** Creates it, or returns the existing one with that title (Cloudflare's 10014): re-running converges. */
  ensureNamespace(title: string): Promise<KvNamespace>;
  findNamespace(title: string): Promise<KvNamespace | undefined>;
  /** Deletes it with its data; one that is gone already is fine. */
  deleteNamespace(id: string): Promise<void>;
  /** `metadata` (at most 1,024 bytes of JSON) comes back with the key in listKeys, so a listing needs no reads. */
  put(
    namespaceId: string,
    key: string,
    value: string,
    options?: { expirationTtl?: number; metadata?: Record<string, unknown> },
  ): Promise<void>;
  get(namespaceId: string, key: string): Promise<string | undefined>;
  /** Every key with the prefix, following the cursor. */
  listKeys(namespaceId: string, prefix?: string): Promise<KvKey[]>;
  /** Deletes keys in bulk requests of at most 10,000 (Cloudflare's limit). */
  deleteKeys(namespaceId: string, keys: readonly string[]): Promise<void>;
}

export interface KvKey {
  name: string;
  /** When it expires, in seconds since the epoch. */
  expiration?: number;
  metadata?: unknown;
}

const DUPLICATE_TITLE = 10014;
const BULK_DELETE_MAX = 10_000;

export function createKvApi(target: Target, options: CreateApiOptions = {}): KvApi {
  const sdk = createSdk(target, options);
  const account_id = target.accountId;
  const fail = (what: string) => (error: unknown) => {
    throw toFleetError(error, what, target);
  };

  async function findNamespace(title: string): Promise<KvNamespace | undefined> {
    try {
      for await (const namespace of sdk.kv.namespaces.list({ account_id, per_page: 100 }))
        if (namespace.title === title) return { id: namespace.id, title: namespace.title };
      return undefined;
    } catch (error) {
      throw toFleetError(error, 'listing KV namespaces', target);
    }
  }

  return {
    findNamespace,
    async ensureNamespace(title) {
      try {
        const created = await sdk.kv.namespaces.create({ account_id, title });
        return { id: created.id, title: created.title };
      } catch (error) {
        const codes = (error as { errors?: Array<{ code?: number }> }).errors?.map((entry) => entry.code) ?? [];
        if (!codes.includes(DUPLICATE_TITLE)) throw toFleetError(error, `creating KV namespace ${title}`, target);
        const found = await findNamespace(title);
        if (!found) throw toFleetError(error, `creating KV namespace ${title}`, target);
        return found;
      }
    },
    async deleteNamespace(id) {
      try {
        await sdk.kv.namespaces.delete(id, { account_id });
      } catch (error) {
        if (!isNotFound(error)) throw toFleetError(error, `deleting KV namespace ${id}`, target);
      }
    },
    async put(namespace_id, key, value, putOptions = {}) {
      await sdk.kv.namespaces.values
        .update(key, {
          account_id,
          namespace_id,
          value,
          ...(putOptions.expirationTtl === undefined ? {} : { expiration_ttl: putOptions.expirationTtl }),
          ...(putOptions.metadata === undefined ? {} : { metadata: putOptions.metadata }),
        })
        .catch(fail(`writing a key of KV namespace ${namespace_id}`));
    },
    async get(namespace_id, key) {
      try {
        const response = await sdk.kv.namespaces.values.get(key, { account_id, namespace_id });
        return await response.text();
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw toFleetError(error, `reading a key of KV namespace ${namespace_id}`, target);
      }
    },
    async listKeys(namespace_id, prefix) {
      const names: KvKey[] = [];
      try {
        for await (const key of sdk.kv.namespaces.keys.list(namespace_id, { account_id, limit: 1000, ...(prefix ? { prefix } : {}) }))
          names.push({
            name: key.name,
            ...(key.expiration === undefined ? {} : { expiration: key.expiration }),
            ...(key.metadata === undefined ? {} : { metadata: key.metadata }),
          });
      } catch (error) {
        throw toFleetError(error, `listing the keys of KV namespace ${namespace_id}`, target);
      }
      return names;
    },
    async deleteKeys(namespace_id, keys) {
      for (let start = 0; start < keys.length; start += BULK_DELETE_MAX) {
        await sdk.kv.namespaces.keys
          .bulkDelete(namespace_id, { account_id, body: keys.slice(start, start + BULK_DELETE_MAX) })
          .catch(fail(`deleting keys of KV namespace ${namespace_id}`));
      }
    },
  };
}
