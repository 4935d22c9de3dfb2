import { usageError } from '../util/errors.js';

/**
 * How a client's worker lets a caller in. `key` is the client's one bearer key (the default, and
 * all a client without AUTH_MODES has); `oauth` makes the worker its own OAuth 2.1 authorization
 * server; `jwt` accepts per-person tokens signed with the client's signing key. The worker reads the
 * same comma list from `vars.AUTH_MODES`, so this file and the template's identity.ts agree on it.
 */
export const AUTH_MODES = ['key', 'oauth', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** The var that names a client's modes, and the KV binding that holds what oauth and jwt keep. */
export const AUTH_MODES_VAR = 'AUTH_MODES';
export const IDENTITY_KV_BINDING = 'OAUTH_KV';

/** The modes a section's AUTH_MODES value names; absent or empty means the key alone, as before modes existed. */
export function modesOf(value: unknown): AuthMode[] {
  if (typeof value !== 'string' || value.trim() === '') return ['key'];
  const named = new Set(value.split(',').map((part) => part.trim()));
  return AUTH_MODES.filter((mode) => named.has(mode));
}

/**
 * A list of modes as a user gives it (`--auth key,oauth`). Unknown or repeated names, or an empty
 * list, are usage errors naming the flag; the result is in canonical order.
 */
export function parseModes(text: string, flag = '--auth'): AuthMode[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === ''))
    throw usageError(`${flag} needs a comma-separated list of modes, e.g. key,oauth`, `modes: ${AUTH_MODES.join(', ')}`);
  const unknown = parts.filter((part) => !(AUTH_MODES as readonly string[]).includes(part));
  if (unknown.length > 0)
    throw usageError(
      `${flag}: unknown auth mode${unknown.length > 1 ? 's' : ''} ${unknown.map((mode) => `"${mode}"`).join(', ')}`,
      `modes: ${AUTH_MODES.join(', ')}`,
    );
  return AUTH_MODES.filter((mode) => parts.includes(mode));
}

/** The AUTH_MODES value for a list of modes (canonical order, comma-separated). */
export function modesValue(modes: readonly AuthMode[]): string {
  return AUTH_MODES.filter((mode) => modes.includes(mode)).join(',');
}

/** Whether a client with these modes needs the identity KV namespace (grants, invitations, revocations). */
export function needsIdentityStore(modes: readonly AuthMode[]): boolean {
  return modes.includes('oauth') || modes.includes('jwt');
}
