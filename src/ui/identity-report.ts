import type { ModesChange } from '../ops/identity/modes.js';
import type { AuthMode } from '../ops/identity/store.js';
import type { TokenRecord } from '../ops/identity/tokens.js';
import type { Person } from '../ops/identity/users.js';
import { commandLine } from '../util/next-step.js';
import { renderTable } from './table.js';

/** How each mode lets a caller in, for the line `auth` prints. */
const MEANING: Record<AuthMode, string> = {
  key: 'the bearer key',
  oauth: 'OAuth 2.1 (sign-in by invitation or the company identity provider)',
  jwt: 'per-person tokens (tokens issue)',
};

export function renderModes(client: string, modes: readonly AuthMode[], namespace: string | undefined): string {
  const lines = [`${client} accepts: ${modes.map((mode) => `${mode} (${MEANING[mode]})`).join(', ')}`];
  if (namespace) lines.push(`identity namespace: ${namespace}`);
  return lines.join('\n');
}

export function renderModesChange(change: ModesChange): string {
  const lines = [`${change.client}: ${change.before.join(',')} → ${change.after.join(',')}`];
  if (change.namespace?.bound) lines.push(`identity namespace ${change.namespace.id} created and bound as OAUTH_KV`);
  if (change.signingKey === 'generated') lines.push('JWT signing key made (it stays in the secrets file; the worker gets its public half)');
  if (change.unsupported.length > 0)
    lines.push(
      `! this project's worker code (src/platform/) predates ${change.unsupported.join(' and ')}: a deploy would not honour ${change.unsupported.length === 1 ? 'it' : 'them'}. Copy src/platform/ from a project made by this mcp-fleet (${commandLine('init', '<new-dir>')}) and merge your changes.`,
    );
  lines.push(
    change.changed ? `next: ${commandLine('deploy', change.client)} (the worker changes modes with its next version)` : 'nothing changed',
  );
  return lines.join('\n');
}

export function renderTokens(client: string, tokens: readonly TokenRecord[]): string {
  if (tokens.length === 0) return `${client}: no live tokens`;
  return renderTable(
    ['TOKEN', 'SUBJECT', 'ISSUED', 'EXPIRES', 'STATE'],
    tokens.map((token) => [token.jti, token.subject, token.issuedAt, token.expiresAt, token.revoked ? 'revoked' : 'valid']),
  );
}

export function renderPeople(client: string, people: readonly Person[]): string {
  if (people.length === 0) return `${client}: nobody yet (${commandLine('users', 'invite', client, '<email>')})`;
  return renderTable(
    ['PERSON', 'SIGNED IN WITH', 'GRANTS', 'LAST CALL', 'INVITED UNTIL'],
    people.map((person) => [person.email, person.via || '-', String(person.grants), person.lastUsed ?? '-', person.invitedUntil ?? '-']),
  );
}
