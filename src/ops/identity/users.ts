import { createHash, randomInt } from 'node:crypto';
import type { KvApi } from '../../cloudflare/kv.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { usageError } from '../../util/errors.js';
import { metadataField, requireIdentityStore } from './store.js';

/**
 * The people of a client in `oauth` mode. An invitation is a one-time code only its holder sees:
 * the namespace keeps its SHA-256 (`invite:<hash>`) with the email it is for and its expiry, and
 * the worker's sign-in page redeems it once. The worker records who signed in (`user:<email>`)
 * and when they last called (`seen:<email>`); the OAuth provider keeps their grants and tokens
 * under `grant:<email>:` and `token:<email>:`. Revoking a person deletes all of it, and refuses
 * their per-person JWTs too.
 */

export const INVITE_TTL_RANGE = { minSeconds: 300, maxSeconds: 30 * 86_400 };
/** No 0/O, 1/I/L: a code read aloud or typed from a chat message arrives as it was meant. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export interface Invitation {
  client: string;
  email: string;
  expiresAt: string;
}

export interface Person {
  email: string;
  /** How they signed in: an invitation or the customer's identity provider; '' while only invited. */
  via: string;
  /** Holds an OAuth grant (signed in and not revoked). */
  grants: number;
  lastUsed: string | null;
  /** An invitation not yet redeemed, with its expiry. */
  invitedUntil: string | null;
}

/** An email as people give it, lower-cased: the subject their calls carry. */
export function normalizeEmail(text: string, what = '<email>'): string {
  const email = text.trim().toLowerCase();
  if (!/^[^\s@<>"'&\p{C}]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,63}$/u.test(email))
    throw usageError(`${what}: "${text.slice(0, 80)}" is not an email address`, 'e.g. alice@acme.example');
  return email;
}

/** A code as the sign-in page compares it: upper case, without the dashes and spaces people type. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export function codeHash(code: string): string {
  return createHash('sha256').update(normalizeCode(code)).digest('hex');
}

function newCode(): string {
  const chars = Array.from({ length: 20 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return chars.match(/.{5}/g)?.join('-') ?? chars;
}

/** Creates an invitation: one API call; the code is returned once and kept nowhere but its hash. */
export async function invitePerson(options: {
  fleet: Fleet;
  client: Client;
  email: string;
  ttlSeconds: number;
  kv: KvApi;
  now?: Date;
}): Promise<{ code: string; invitation: Invitation }> {
  const email = normalizeEmail(options.email);
  const namespace = requireIdentityStore(options.fleet, options.client, 'oauth', 'users invite');
  const code = newCode();
  const expiresAt = (options.now ?? new Date()).getTime() + options.ttlSeconds * 1000;
  await options.kv.put(namespace, `invite:${codeHash(code)}`, JSON.stringify({ email, expiresAt }), {
    expirationTtl: options.ttlSeconds,
    metadata: { email, expiresAt },
  });
  return { code, invitation: { client: options.client.name, email, expiresAt: new Date(expiresAt).toISOString() } };
}

/** Everyone invited or signed in, with their grants and last use: four listings, no reads. */
export async function listPeople(options: { fleet: Fleet; client: Client; kv: KvApi }): Promise<Person[]> {
  const namespace = requireIdentityStore(options.fleet, options.client, 'oauth', 'users list');
  const [users, grants, seen, invites] = await Promise.all(
    ['user:', 'grant:', 'seen:', 'invite:'].map((prefix) => options.kv.listKeys(namespace, prefix)),
  );
  const people = new Map<string, Person>();
  const person = (email: string): Person => {
    let entry = people.get(email);
    if (!entry) {
      entry = { email, via: '', grants: 0, lastUsed: null, invitedUntil: null };
      people.set(email, entry);
    }
    return entry;
  };
  for (const key of users ?? []) {
    const entry = person(key.name.slice('user:'.length));
    entry.via = field(key.metadata, 'via') ?? 'oauth';
  }
  for (const key of grants ?? []) person(key.name.split(':')[1] ?? '').grants += 1;
  for (const key of seen ?? []) {
    const at = Number(field(key.metadata, 'at'));
    if (Number.isFinite(at) && at > 0) person(key.name.slice('seen:'.length)).lastUsed = new Date(at).toISOString();
  }
  for (const key of invites ?? []) {
    const email = field(key.metadata, 'email');
    const expiresAt = Number(field(key.metadata, 'expiresAt'));
    if (email && Number.isFinite(expiresAt)) person(email).invitedUntil = new Date(expiresAt).toISOString();
  }
  return [...people.values()].filter((entry) => entry.email !== '').sort((a, b) => a.email.localeCompare(b.email));
}

/**
 * Removes a person: their grants and tokens (refused from the next call on), their record, their
 * open invitations, and every per-person JWT issued to them up to now. Listings first, then one
 * bulk delete and one write.
 */
export async function revokePerson(options: {
  fleet: Fleet;
  client: Client;
  email: string;
  kv: KvApi;
  now?: Date;
}): Promise<{ client: string; email: string; removed: number }> {
  const email = normalizeEmail(options.email);
  const namespace = requireIdentityStore(options.fleet, options.client, 'oauth', 'users revoke');
  const { kv } = options;
  const [grants, tokens, invites] = await Promise.all([
    kv.listKeys(namespace, `grant:${email}:`),
    kv.listKeys(namespace, `token:${email}:`),
    kv.listKeys(namespace, 'invite:'),
  ]);
  const keys = [
    ...grants.map((key) => key.name),
    ...tokens.map((key) => key.name),
    ...invites.filter((key) => field(key.metadata, 'email') === email).map((key) => key.name),
    `user:${email}`,
    `seen:${email}`,
  ];
  await kv.deleteKeys(namespace, keys);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  await kv.put(namespace, `revoked:sub:${email}`, String(now), { metadata: { at: now } });
  return { client: options.client.name, email, removed: grants.length + tokens.length };
}

function field(metadata: unknown, key: string): string | undefined {
  const value = metadataField(metadata, key);
  return value === undefined ? undefined : String(value);
}
