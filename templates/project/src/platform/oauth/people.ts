/**
 * The people of a client, as the CLI sees them in OAUTH_KV: invitations it wrote
 * (`invite:<sha256 hex of the code>`), the people who signed in (`user:<email>`) and when they
 * last called (`seen:<email>`). The provider's own grants and tokens are keyed by the same email
 * (`grant:<email>:`, `token:<email>:`), which is what `users revoke` deletes.
 */

export type SignInVia = 'invite' | 'oidc';

/** Ten minutes: last use is for "who still uses this", not an audit log; one write per person per window. */
const SEEN_INTERVAL_MS = 10 * 60 * 1000;

/**
 * The email as a user id: trimmed, lowercased, and one that cannot break the provider's
 * `grant:<userId>:<grantId>` keys or its `<userId>:<grantId>:<secret>` tokens (no ':').
 */
export function normalEmail(value: string): string | undefined {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@:/]+@[^\s@:/]+\.[^\s@:/]+$/.test(email)) return undefined;
  return email;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

interface Invitation {
  email: string;
  expiresAt: number;
}

function isInvitation(value: unknown): value is Invitation {
  const record = value as Partial<Invitation> | null;
  return typeof record?.email === 'string' && typeof record.expiresAt === 'number';
}

/**
 * The KV key of a valid invitation for this email and code, or undefined: unknown code, another
 * email, expired. Nothing is used up here, so a person who mistyped can try again.
 */
export async function findInvitation(kv: KVNamespace, email: string, code: string): Promise<string | undefined> {
  // As `mcp-fleet users invite` hashed it: case, spaces and dashes are how people retype a code, not part of it.
  const normal = code.toUpperCase().replace(/[\s-]/g, '');
  if (normal === '') return undefined;
  const key = `invite:${await sha256Hex(normal)}`;
  const stored: unknown = await kv.get(key, 'json');
  if (!isInvitation(stored)) return undefined;
  if (stored.email.trim().toLowerCase() !== email) return undefined;
  if (stored.expiresAt <= Date.now()) return undefined;
  return key;
}

/**
 * One-time: the invitation goes before the grant is issued. KV cannot make read-then-delete
 * atomic, so two submissions in the same instant could both pass; each still needs the browser's
 * consent cookie, and the second one only repeats the first person's own sign-in.
 */
export async function useInvitation(kv: KVNamespace, key: string): Promise<void> {
  await kv.delete(key);
}

/** Keeps the first sign-in time across later ones, so the CLI can tell how long someone has had access. */
export async function recordUser(kv: KVNamespace, email: string, via: SignInVia): Promise<void> {
  const existing: unknown = await kv.get(`user:${email}`, 'json');
  const firstSeen =
    typeof (existing as { firstSeen?: unknown } | null)?.firstSeen === 'number'
      ? (existing as { firstSeen: number }).firstSeen
      : Date.now();
  // The metadata lets `mcp-fleet users list` show everyone from one key listing, without a read per person.
  await kv.put(`user:${email}`, JSON.stringify({ email, via, firstSeen }), { metadata: { via, firstSeen } });
}

/** Per isolate: most calls skip even the KV read. */
const lastWritten = new Map<string, number>();

/** Best effort: a failed write costs a stale "last seen", never the call itself. */
export async function recordSeen(kv: KVNamespace, email: string, now = Date.now()): Promise<void> {
  const known = lastWritten.get(email);
  if (known !== undefined && now - known < SEEN_INTERVAL_MS) return;
  try {
    const stored = Number(await kv.get(`seen:${email}`));
    if (Number.isFinite(stored) && stored > 0 && now - stored < SEEN_INTERVAL_MS) {
      lastWritten.set(email, stored);
      return;
    }
    lastWritten.set(email, now);
    await kv.put(`seen:${email}`, String(now), { metadata: { at: now } });
  } catch (error) {
    console.warn(`oauth: could not record last use (${error instanceof Error ? error.name : 'error'})`);
  }
}
