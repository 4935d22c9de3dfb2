import { createHash } from 'node:crypto';
import type { KvApi } from '../../cloudflare/kv.js';
import type { Client } from '../../fleet/fleet.js';
import { clientModes, identityNamespaceOf } from '../identity/store.js';

/**
 * Who the hashes in a client's metrics are. The worker records a hash of each caller, never the
 * caller (templates/project/src/platform/analytics.ts); mcp-fleet knows the candidates — the key's
 * two slots, the people who signed in, the subjects tokens were issued to — and hashes them the
 * same way. One key listing per mode; a hash nobody here knows stays a hash.
 */
export function subjectHash(client: string, subject: string): string {
  return createHash('sha256').update(`${client}\n${subject}`).digest('hex').slice(0, 16);
}

export async function knownSubjects(client: Client, kv: KvApi | undefined): Promise<Map<string, string>> {
  const id = typeof client.env.vars?.CLIENT_ID === 'string' ? client.env.vars.CLIENT_ID : client.name;
  const candidates = new Set(['key', 'key:previous']);
  const namespace = identityNamespaceOf(client);
  if (kv && namespace) {
    const modes = clientModes(client);
    const [users, issued] = await Promise.all([
      modes.includes('oauth') ? kv.listKeys(namespace, 'user:') : Promise.resolve([]),
      modes.includes('jwt') ? kv.listKeys(namespace, 'issued:') : Promise.resolve([]),
    ]);
    for (const key of users) candidates.add(key.name.slice('user:'.length));
    for (const key of issued) {
      const sub = (key.metadata as { sub?: unknown } | undefined)?.sub;
      if (typeof sub === 'string') candidates.add(sub);
    }
  }
  return new Map([...candidates].map((subject) => [subjectHash(id, subject), subject]));
}
