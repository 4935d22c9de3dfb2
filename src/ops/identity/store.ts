import { basename } from 'node:path';
import { type AuthMode, IDENTITY_KV_BINDING, modesOf } from '../../config/auth-modes.js';

export type { AuthMode };

import type { Client, Fleet } from '../../fleet/fleet.js';
import { usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';

/**
 * A client's identity namespace: the Workers KV namespace its worker binds as OAUTH_KV, holding
 * OAuth grants and tokens, invitations (by hash), the people who signed in, and token
 * revocations. One per client, so a client's people and tokens live apart from every other's.
 */

/** The namespace's title in the account: names the fleet's client, so an operator can tell them apart. */
export function identityNamespaceTitle(client: string): string {
  return `mcp-fleet-${client}-identity`;
}

/** The modes the client's section names (vars.AUTH_MODES; the key alone without it). */
export function clientModes(client: Client): AuthMode[] {
  return modesOf(client.env.vars?.AUTH_MODES);
}

type KvBinding = { binding: string; id: string; [key: string]: unknown };

/** The section's kv_namespaces entries that name a binding and an id. */
export function kvBindings(client: Pick<Client, 'env'>): KvBinding[] {
  const list = client.env.kv_namespaces;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (entry): entry is KvBinding =>
      typeof entry === 'object' && entry !== null && typeof entry.binding === 'string' && typeof entry.id === 'string',
  );
}

/** The id of the client's identity namespace, when its section binds one. */
export function identityNamespaceOf(client: Pick<Client, 'env'>): string | undefined {
  return kvBindings(client).find((entry) => entry.binding === IDENTITY_KV_BINDING)?.id;
}

/**
 * The namespace a `users` or `tokens` command works in: the client must enable the mode the command
 * is for, and its section must bind the namespace. Anything else is bad usage naming what to run.
 */
export function requireIdentityStore(fleet: Fleet, client: Client, mode: Extract<AuthMode, 'oauth' | 'jwt'>, command: string): string {
  const modes = clientModes(client);
  if (!modes.includes(mode)) {
    const wanted = [...new Set([...modes, mode])].join(',');
    throw usageError(
      `${command}: ${client.name} does not accept ${mode} (its auth modes: ${modes.join(',')}); nothing was changed`,
      `Enable it, then deploy: ${commandLine('auth', client.name, wanted)} && ${commandLine('deploy', client.name)}`,
    );
  }
  const id = identityNamespaceOf(client);
  if (id === undefined)
    throw usageError(
      `${command}: env.${client.name} in ${basename(fleet.configPath)} binds no ${IDENTITY_KV_BINDING} namespace; nothing was changed`,
      `Let mcp-fleet create and bind it: ${commandLine('auth', client.name, modes.join(','))}`,
    );
  return id;
}

/** A field of a key's metadata (what mcp-fleet and the worker put beside each record, so listings read no values). */
export function metadataField(metadata: unknown, key: string): string | number | undefined {
  const value = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}
