import { ApiError, CfCode } from '../net/envelope.js';
import type { KvStorage } from './kv-storage.js';

/**
 * Keys and values of one namespace, read and written in Miniflare's KV storage through its local
 * explorer API on the storage host (kv-storage.ts): the same data the workers' bindings see. The
 * control plane checks requests against Cloudflare's rules first (kv-rules.ts); what Miniflare
 * still refuses comes back as Cloudflare's 10001.
 */

export interface KvKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

export interface KvWrite {
  key: string;
  value: Uint8Array;
  /** Seconds since the epoch. */
  expiration?: number;
  expirationTtl?: number;
  metadata?: unknown;
}

export interface KvPage {
  keys: KvKey[];
  /** Empty at the end of the list, as Cloudflare answers it. */
  cursor: string;
}

interface ExplorerEnvelope<T> {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: T;
  result_info?: { cursor?: string };
}

export class KvData {
  constructor(private readonly storage: KvStorage) {}

  async get(namespaceId: string, key: string): Promise<Uint8Array | undefined> {
    const response = await this.storage.call(valuePath(namespaceId, key));
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await storageError(response);
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * Writes every entry. One entry without an expiry goes as its raw bytes; the rest in one bulk call,
   * where a value travels as text when it is UTF-8 and base64 otherwise (the bulk call takes
   * 25 MiB of characters per value, so a binary value over about 18 MiB needs the raw form).
   */
  async write(namespaceId: string, writes: readonly KvWrite[]): Promise<void> {
    const [only] = writes;
    if (writes.length === 1 && only && only.expiration === undefined && only.expirationTtl === undefined) {
      await this.putRaw(namespaceId, only);
      return;
    }
    if (writes.length === 0) return;
    const body = writes.map((write) => {
      const text = utf8(write.value);
      return {
        key: write.key,
        ...(text === undefined ? { value: Buffer.from(write.value).toString('base64'), base64: true } : { value: text }),
        ...(write.expiration !== undefined ? { expiration: write.expiration } : {}),
        ...(write.expirationTtl !== undefined ? { expiration_ttl: write.expirationTtl } : {}),
        ...(write.metadata !== undefined ? { metadata: write.metadata } : {}),
      };
    });
    await this.json(`/namespaces/${encodeURIComponent(namespaceId)}/bulk`, { method: 'PUT', body: JSON.stringify(body) });
  }

  private async putRaw(namespaceId: string, write: KvWrite): Promise<void> {
    let body: Uint8Array | FormData = new Uint8Array(write.value);
    if (write.metadata !== undefined) {
      const form = new FormData();
      form.set('value', new Blob([new Uint8Array(write.value)]));
      form.set('metadata', JSON.stringify(write.metadata));
      body = form;
    }
    const response = await this.storage.call(valuePath(namespaceId, write.key), { method: 'PUT', body });
    if (!response.ok) throw await storageError(response);
    await response.body?.cancel();
  }

  async delete(namespaceId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.json(`/namespaces/${encodeURIComponent(namespaceId)}/bulk/delete`, { method: 'POST', body: JSON.stringify(keys) });
  }

  async list(namespaceId: string, options: { prefix?: string; cursor?: string; limit: number }): Promise<KvPage> {
    const query = new URLSearchParams({ limit: String(options.limit) });
    if (options.prefix) query.set('prefix', options.prefix);
    if (options.cursor) query.set('cursor', options.cursor);
    const body = await this.json<KvKey[]>(`/namespaces/${encodeURIComponent(namespaceId)}/keys?${query}`);
    const keys = (body.result ?? []).map((key) => ({
      name: key.name,
      ...(key.expiration !== undefined && key.expiration !== null ? { expiration: key.expiration } : {}),
      ...(key.metadata !== undefined && key.metadata !== null ? { metadata: key.metadata } : {}),
    }));
    return { keys, cursor: body.result_info?.cursor ?? '' };
  }

  /** A key's listing entry (its metadata and expiration), or undefined when it is absent. */
  async entryOf(namespaceId: string, key: string): Promise<KvKey | undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list(namespaceId, { prefix: key, cursor, limit: 1000 });
      const found = page.keys.find((entry) => entry.name === key);
      if (found) return found;
      cursor = page.cursor || undefined;
    } while (cursor);
    return undefined;
  }

  /** Deletes every key of a namespace (its deletion takes its data with it). */
  async clear(namespaceId: string): Promise<void> {
    for (;;) {
      const page = await this.list(namespaceId, { limit: 1000 });
      if (page.keys.length === 0) return;
      await this.delete(
        namespaceId,
        page.keys.map((key) => key.name),
      );
    }
  }

  private async json<T>(path: string, init?: RequestInit): Promise<ExplorerEnvelope<T>> {
    const response = await this.storage.call(path, init && { ...init, headers: { 'content-type': 'application/json' } });
    if (!response.ok) throw await storageError(response);
    return (await response.json()) as ExplorerEnvelope<T>;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text when they are UTF-8 (so that they round-trip exactly), else undefined. */
function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function valuePath(namespaceId: string, key: string): string {
  return `/namespaces/${encodeURIComponent(namespaceId)}/values/${encodeURIComponent(key)}`;
}

/** Miniflare's refusal as Cloudflare's: a 4xx is the request's fault (10001), anything else the edge's. */
async function storageError(response: Response): Promise<ApiError> {
  let message = `KV storage answered ${response.status}`;
  try {
    const body = (await response.json()) as ExplorerEnvelope<unknown>;
    message = body.errors?.[0]?.message ?? message;
  } catch {
    // not JSON: keep the status
  }
  if (response.status >= 400 && response.status < 500) return new ApiError(400, CfCode.badRequest, message);
  return new ApiError(500, CfCode.internal, `Internal error in the local edge's KV storage: ${message}`);
}
