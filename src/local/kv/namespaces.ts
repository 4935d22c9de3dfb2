import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../util/files.js';

/**
 * The account's Workers KV namespaces (id and title), in `kv-namespaces.json` beside the rest of the
 * edge's state. Their keys and values are Miniflare's (kv-storage.ts), keyed by the namespace id.
 */

const NamespaceSchema = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/), title: z.string() });
export type KvNamespaceRecord = z.infer<typeof NamespaceSchema>;

export class KvNamespaces {
  private readonly byId = new Map<string, KvNamespaceRecord>();

  private constructor(
    private readonly path: string,
    private readonly beforeWrite: () => Promise<void>,
  ) {}

  static async open(stateDir: string, beforeWrite: () => Promise<void> = () => Promise.resolve()): Promise<KvNamespaces> {
    const registry = new KvNamespaces(join(stateDir, 'kv-namespaces.json'), beforeWrite);
    let text: string | undefined;
    try {
      text = await readFile(registry.path, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const parsed = z.array(NamespaceSchema).safeParse(safeJson(text));
      if (parsed.success) for (const record of parsed.data) registry.byId.set(record.id, record);
    }
    return registry;
  }

  /** In creation order, as Cloudflare lists them by default. */
  list(): KvNamespaceRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): KvNamespaceRecord | undefined {
    return this.byId.get(id);
  }

  withTitle(title: string): KvNamespaceRecord | undefined {
    return this.list().find((record) => record.title === title);
  }

  async create(title: string): Promise<KvNamespaceRecord> {
    const record = { id: randomBytes(16).toString('hex'), title };
    await this.save([...this.list(), record]);
    return record;
  }

  async rename(id: string, title: string): Promise<KvNamespaceRecord | undefined> {
    if (!this.byId.has(id)) return undefined;
    await this.save(this.list().map((record) => (record.id === id ? { id, title } : record)));
    return this.byId.get(id);
  }

  async delete(id: string): Promise<void> {
    await this.save(this.list().filter((record) => record.id !== id));
  }

  /** Writes the new list first: memory changes only once the file has (a refused write changes nothing). */
  private async save(next: KvNamespaceRecord[]): Promise<void> {
    await this.beforeWrite();
    await writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    this.byId.clear();
    for (const record of next) this.byId.set(record.id, record);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
