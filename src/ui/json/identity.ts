import type { ModesChange } from '../../ops/identity/modes.js';
import type { AuthMode } from '../../ops/identity/store.js';
import type { IssuedToken, TokenRecord } from '../../ops/identity/tokens.js';
import type { Invitation, Person } from '../../ops/identity/users.js';
import { SCHEMA_VERSION, type SchemaVersion } from './common.js';

/**
 * The documents of `auth`, `tokens` and `users`. Each field is named here, never spread from what
 * an op returned, so nothing an op grows later reaches CI logs unasked. Two documents carry a
 * credential on purpose, because handing it over is what the command is for: `tokens issue`
 * (the token) and `users invite` (the code); both are shown once and kept nowhere.
 */

interface Versioned {
  schemaVersion: SchemaVersion;
  ok: boolean;
}

export interface AuthJson extends Versioned {
  client: string;
  modes: AuthMode[];
  /** Before this run's change; equal to modes when only shown. */
  before: AuthMode[];
  identityNamespace: string | null;
  /** The identity namespace was created and bound by this run. */
  namespaceBound: boolean;
  signingKey: 'generated' | 'kept' | null;
  /** The project changed: the next deploy ships it. */
  changed: boolean;
  /** Modes the project's own worker code predates (see ops/identity/modes.ts). */
  unsupported: AuthMode[];
}

export function authShowJson(client: string, modes: AuthMode[], namespace: string | undefined): AuthJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    client,
    modes: [...modes],
    before: [...modes],
    identityNamespace: namespace ?? null,
    namespaceBound: false,
    signingKey: null,
    changed: false,
    unsupported: [],
  };
}

export function authChangeJson(change: ModesChange): AuthJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    client: change.client,
    modes: [...change.after],
    before: [...change.before],
    identityNamespace: change.namespace?.id ?? null,
    namespaceBound: change.namespace?.bound ?? false,
    signingKey: change.signingKey,
    changed: change.changed,
    unsupported: [...change.unsupported],
  };
}

export interface TokenIssuedJson extends Versioned {
  client: string;
  subject: string;
  jti: string;
  keyId: string;
  issuedAt: string;
  expiresAt: string;
  issuer: string;
  audience: string;
  token: string;
}

export function tokenIssuedJson(issued: IssuedToken, token: string): TokenIssuedJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    client: issued.client,
    subject: issued.subject,
    jti: issued.jti,
    keyId: issued.keyId,
    issuedAt: issued.issuedAt,
    expiresAt: issued.expiresAt,
    issuer: issued.issuer,
    audience: issued.audience,
    token,
  };
}

export interface TokensJson extends Versioned {
  client: string;
  tokens: TokenRecord[];
}

export function tokensJson(client: string, tokens: readonly TokenRecord[]): TokensJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    client,
    tokens: tokens.map((token) => ({
      jti: token.jti,
      subject: token.subject,
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
      revoked: token.revoked,
    })),
  };
}

export interface RevokedJson extends Versioned {
  client: string;
  jti: string | null;
  subject: string | null;
  revokedAt: string | null;
  /** users revoke: grant and token records deleted. */
  removed: number | null;
}

export function revokedJson(revoked: {
  client: string;
  jti?: string;
  subject?: string;
  revokedAt?: string;
  removed?: number;
}): RevokedJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    client: revoked.client,
    jti: revoked.jti ?? null,
    subject: revoked.subject ?? null,
    revokedAt: revoked.revokedAt ?? null,
    removed: revoked.removed ?? null,
  };
}

export interface InviteJson extends Versioned {
  client: string;
  email: string;
  expiresAt: string;
  code: string;
}

export function inviteJson(invitation: Invitation, code: string): InviteJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    client: invitation.client,
    email: invitation.email,
    expiresAt: invitation.expiresAt,
    code,
  };
}

export interface PeopleJson extends Versioned {
  client: string;
  people: Person[];
}

export function peopleJson(client: string, people: readonly Person[]): PeopleJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    client,
    people: people.map((person) => ({
      email: person.email,
      via: person.via,
      grants: person.grants,
      lastUsed: person.lastUsed,
      invitedUntil: person.invitedUntil,
    })),
  };
}
