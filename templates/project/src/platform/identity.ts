import type { Env } from './env';

/**
 * Who is calling. Every request that reaches a tool has one: the client it belongs to (always this
 * worker's CLIENT_ID), the subject (which key matched, the person's email, or a token's `sub`), and
 * how it proved it. Tools read it; analytics records how and a hash of who.
 */
export type AuthMode = 'key' | 'oauth' | 'jwt';

export interface Identity {
  client: string;
  subject: string;
  via: AuthMode;
}

const MODES: readonly AuthMode[] = ['key', 'oauth', 'jwt'];

/**
 * The modes this client's worker accepts, from `vars.AUTH_MODES` (e.g. "key,oauth"). Without it the
 * worker takes its key alone, as every client did before modes existed; an unknown name is ignored
 * here and refused by `mcp-fleet` before it is ever deployed.
 */
export function authModes(env: Env): ReadonlySet<AuthMode> {
  const value = env.AUTH_MODES?.trim();
  if (!value) return new Set(['key']);
  const named = new Set(value.split(',').map((part) => part.trim()));
  return new Set(MODES.filter((mode) => named.has(mode)));
}
