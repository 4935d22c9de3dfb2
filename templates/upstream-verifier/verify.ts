/**
 * Verifies the RFC 9421 signatures mcp-fleet workers put on their requests to a client's upstream
 * API (docs/upstream-signing.md). For upstream authors: one file, no dependencies, WebCrypto only,
 * so it runs on Node >= 20, Cloudflare Workers, Deno and Bun. Import it from the package
 * (`import { verifyUpstreamRequest } from 'mcp-fleet/upstream-verifier'`) or copy this file.
 *
 * What a request must show to pass: a signature (label of any name, `tag="mcp-fleet-upstream"`,
 * `alg="hmac-sha256"`) by a key you know, over at least "@method", "@target-uri",
 * "content-digest" and "mcp-fleet-client" (and "mcp-fleet-subject" when the request has one);
 * a Content-Digest (RFC 9530, sha-256) that matches the body; `created` no more than
 * maxSkewSeconds from your clock and `expires` not passed; a nonce never seen before; and a
 * mcp-fleet-client header naming the client the key belongs to. During a key rotation's grace
 * period a request carries two signatures, one per key: knowing either is enough.
 */

export const SIGNATURE_TAG = 'mcp-fleet-upstream';
export const SIGNATURE_ALG = 'hmac-sha256';
export const CLIENT_HEADER = 'mcp-fleet-client';
export const SUBJECT_HEADER = 'mcp-fleet-subject';
/** The components every signature must cover. */
export const REQUIRED_COMPONENTS: readonly string[] = ['@method', '@target-uri', 'content-digest', CLIENT_HEADER];
const DEFAULT_MAX_SKEW_SECONDS = 300;
/** What the worker gives a signature (expires = created + 300). */
const DEFAULT_MAX_LIFETIME_SECONDS = 300;

/** A WHATWG Request (Workers, Deno, Bun, Node's fetch-style servers), or the parts of one (Node's http module). */
export type SignedRequest =
  | Request
  | {
      method: string;
      /** The full URL the request was sent to, e.g. https://api.acme.example/items?limit=2. */
      url: string;
      headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
      body?: Uint8Array<ArrayBuffer> | string;
    };

/**
 * Remembers nonces so a captured request cannot be sent again. `claim` records `nonce` until
 * `expiresAt` (milliseconds since the epoch) and answers false when it was recorded already. With
 * several instances of the upstream, back it with a shared store (e.g. Redis `SET key 1 NX PXAT`).
 */
export interface NonceStore {
  claim(nonce: string, expiresAt: number, now: number): boolean | Promise<boolean>;
}

export interface VerifyOptions {
  /**
   * The keys you accept, by key id ("acme:k-1a2b3c4d"; `keyring` makes this from the keys
   * themselves), or a function that looks one up.
   */
  keys: Readonly<Record<string, string>> | ((keyid: string) => string | undefined | Promise<string | undefined>);
  /** How far `created` may be from this clock, either way (default 300 seconds). */
  maxSkewSeconds?: number;
  /** The longest `expires - created` accepted (default 300 seconds, what the worker sets). */
  maxLifetimeSeconds?: number;
  /** Where nonces are remembered; by default one in-memory store per process. */
  nonces?: NonceStore;
  /** The clock, in milliseconds (default Date.now): tests move it. */
  now?: () => number;
  /**
   * The URL the worker sent the request to, when `request.url` is not it (behind a proxy that
   * ends TLS, `request.url` may say http:// or an inner host).
   */
  targetUri?: string;
}

export type VerifyResult =
  | {
      ok: true;
      /** The client whose worker sent the request (from the key and the mcp-fleet-client header). */
      client: string;
      /** The key that verified. */
      keyid: string;
      /** Who called the tool: a person's email, a token's `sub`, or `key` / `key:previous` for the client's shared key. */
      subject?: string;
      /** The signature's label ("sig1"; "sig2" is the previous key's during a rotation's grace period). */
      label: string;
    }
  | { ok: false; reason: string };

const encoder = new TextEncoder();

/** Checks a request against the rules at the top of this file; never throws on a bad request. */
export async function verifyUpstreamRequest(request: SignedRequest, options: VerifyOptions): Promise<VerifyResult> {
  const now = (options.now ?? Date.now)();
  const skew = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const headers = headersOf(request);
  const inputHeader = headers.get('signature-input');
  const signatureHeader = headers.get('signature');
  if (inputHeader === null || signatureHeader === null) return refuse('no Signature-Input or Signature header');
  let inputs: Map<string, Member>;
  let signatures: Map<string, Member>;
  try {
    inputs = parseDictionary(inputHeader);
    signatures = parseDictionary(signatureHeader);
  } catch (error) {
    return refuse(`malformed signature headers (${(error as Error).message})`);
  }

  const ours = [...inputs].filter(([, member]) => member.params.get('tag') === SIGNATURE_TAG);
  if (ours.length === 0) return refuse(`no signature tagged ${SIGNATURE_TAG}`);
  let known = 0;
  let lastReason = '';
  for (const [label, member] of ours) {
    const keyid = member.params.get('keyid');
    if (typeof keyid !== 'string') {
      lastReason = `signature ${label} has no keyid`;
      continue;
    }
    const secret =
      typeof options.keys === 'function' ? await options.keys(keyid) : Object.hasOwn(options.keys, keyid) ? options.keys[keyid] : undefined;
    if (secret === undefined || secret === '') continue;
    known++;
    const checked = await checkSignature(request, headers, label, member, signatures.get(label), secret, options.targetUri);
    if (!checked.ok) {
      lastReason = checked.reason;
      continue;
    }
    const { created, expires, nonce } = checked;
    if (created > now / 1000 + skew) return refuse(`signature ${label} was created in the future (beyond ${skew} s of skew)`);
    if (now / 1000 - created > skew) return refuse(`signature ${label} is stale (created more than ${skew} s ago)`);
    if (now / 1000 > expires) return refuse(`signature ${label} has expired`);
    const lifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
    if (expires - created > lifetime) return refuse(`signature ${label} is valid for longer than ${lifetime} s`);

    const digest = headers.get('content-digest') ?? '';
    if (!(await digestMatches(digest, await bodyOf(request)))) return refuse('content-digest does not match the body');
    const client = keyid.slice(0, keyid.lastIndexOf(':'));
    if (headers.get(CLIENT_HEADER) !== client) return refuse(`${CLIENT_HEADER} does not name the client of key ${keyid}`);
    const store = options.nonces ?? defaultNonces;
    const until = Math.min(expires, created + skew) * 1000;
    if (!(await store.claim(`${client}:${nonce}`, until, now))) return refuse('replayed request (nonce seen before)');
    const subject = headers.get(SUBJECT_HEADER);
    return { ok: true, client, keyid, label, ...(subject === null ? {} : { subject: decodeSubject(subject) }) };
  }
  if (known === 0) return refuse(lastReason || 'signed by no key this upstream knows');
  return refuse(lastReason);
}

/** Key ids for the keys you were given, per client: `keyring({ acme: [current, previous] })`. */
export async function keyring(byClient: Readonly<Record<string, string | readonly string[]>>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [client, keys] of Object.entries(byClient)) {
    for (const key of typeof keys === 'string' ? [keys] : keys) out[await keyId(client, key)] = key;
  }
  return out;
}

/** The id a worker gives a key: the client and the first 8 hex digits of the key's SHA-256. */
export async function keyId(client: string, key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(key)));
  return `${client}:k-${[...digest.subarray(0, 4)].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** An in-memory NonceStore that forgets each nonce once its signature could no longer pass anyway. */
export function memoryNonceStore(): NonceStore & { size(): number } {
  const seen = new Map<string, number>();
  return {
    claim(nonce, expiresAt, now) {
      // Nonces arrive in about the order they expire (a signature lives 300 s from its creation):
      // sweeping from the oldest and stopping at the first still alive keeps each claim cheap.
      for (const [key, until] of seen) {
        if (until > now) break;
        seen.delete(key);
      }
      if (seen.has(nonce)) return false;
      seen.set(nonce, expiresAt);
      return true;
    },
    size: () => seen.size,
  };
}

const defaultNonces = memoryNonceStore();

type Checked = { ok: true; created: number; expires: number; nonce: string } | { ok: false; reason: string };

async function checkSignature(
  request: SignedRequest,
  headers: Headers,
  label: string,
  member: Member,
  signature: Member | undefined,
  secret: string,
  targetUri: string | undefined,
): Promise<Checked> {
  if (!Array.isArray(member.value)) return { ok: false, reason: `signature ${label}: Signature-Input is not a list of components` };
  const components = member.value;
  if (components.some((item) => typeof item !== 'string')) return { ok: false, reason: `signature ${label}: a component is not a string` };
  const covered = components as string[];
  const required = [...REQUIRED_COMPONENTS, ...(headers.has(SUBJECT_HEADER) ? [SUBJECT_HEADER] : [])];
  const missing = required.filter((name) => !covered.includes(name));
  if (missing.length > 0) return { ok: false, reason: `signature ${label} does not cover ${missing.join(', ')}` };
  if (member.params.get('alg') !== SIGNATURE_ALG) return { ok: false, reason: `signature ${label} is not ${SIGNATURE_ALG}` };
  const created = member.params.get('created');
  const expires = member.params.get('expires');
  const nonce = member.params.get('nonce');
  if (typeof created !== 'number' || typeof expires !== 'number' || typeof nonce !== 'string' || nonce === '') {
    return { ok: false, reason: `signature ${label} lacks created, expires or nonce` };
  }
  if (signature === undefined || !(signature.value instanceof Uint8Array)) return { ok: false, reason: `no Signature for ${label}` };

  const lines: string[] = [];
  for (const name of covered) {
    let value: string | null;
    if (name === '@method') value = methodOf(request).toUpperCase();
    else if (name === '@target-uri') value = targetUri ?? request.url;
    else if (name.startsWith('@')) return { ok: false, reason: `signature ${label} covers ${name}, which this verifier does not support` };
    else value = headers.get(name);
    if (value === null) return { ok: false, reason: `signature ${label} covers ${name}, which the request lacks` };
    lines.push(`"${name}": ${value.trim()}`);
  }
  lines.push(`"@signature-params": ${member.raw}`);
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  // subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify('HMAC', key, signature.value, encoder.encode(lines.join('\n')));
  if (!valid) return { ok: false, reason: `signature ${label} does not match the request` };
  return { ok: true, created, expires, nonce };
}

async function digestMatches(header: string, body: Uint8Array<ArrayBuffer>): Promise<boolean> {
  let digests: Map<string, Member>;
  try {
    digests = parseDictionary(header);
  } catch {
    return false;
  }
  const given = digests.get('sha-256')?.value;
  if (!(given instanceof Uint8Array)) return false;
  const actual = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  return given.length === actual.length && given.every((byte, index) => byte === actual[index]);
}

function headersOf(request: SignedRequest): Headers {
  if (request.headers instanceof Headers) return request.headers;
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (typeof value === 'string') headers.set(name, value);
    else for (const part of value) headers.append(name, part);
  }
  return headers;
}

function methodOf(request: SignedRequest): string {
  return request.method;
}

async function bodyOf(request: SignedRequest): Promise<Uint8Array<ArrayBuffer>> {
  if (request instanceof Request) return new Uint8Array(await request.clone().arrayBuffer());
  if (request.body === undefined) return new Uint8Array(0);
  return typeof request.body === 'string' ? encoder.encode(request.body) : request.body;
}

/** The worker percent-encodes every byte of the subject's UTF-8 that is not visible ASCII. */
function decodeSubject(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function refuse(reason: string): VerifyResult {
  return { ok: false, reason };
}

/*
 * Just enough of RFC 8941 (Structured Field Values) for these headers: a dictionary whose members
 * are inner lists of strings or byte sequences, with parameters of strings, integers, tokens and
 * booleans. `raw` keeps a member's text as sent, which the signature base needs verbatim.
 */
type Bare = string | number | boolean | Uint8Array<ArrayBuffer>;
interface Member {
  value: Bare | Bare[];
  params: Map<string, Bare>;
  raw: string;
}

function parseDictionary(text: string): Map<string, Member> {
  const out = new Map<string, Member>();
  let i = 0;
  const skip = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i}`);
  };
  const key = (): string => {
    const match = /^[a-z*][a-z0-9_\-.*]*/.exec(text.slice(i));
    if (!match) fail('expected a key');
    i += (match as RegExpExecArray)[0].length;
    return (match as RegExpExecArray)[0];
  };
  const bare = (): Bare => {
    const rest = text.slice(i);
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const char = text[i++];
        if (char === undefined) fail('unterminated string');
        if (char === '"') return value;
        if (char === '\\') {
          const next = text[i++];
          if (next !== '"' && next !== '\\') fail('bad escape');
          value += next;
        } else value += char;
      }
    }
    if (text[i] === ':') {
      const end = text.indexOf(':', i + 1);
      if (end === -1) fail('unterminated byte sequence');
      const b64 = text.slice(i + 1, end);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) fail('bad base64');
      i = end + 1;
      return Uint8Array.from(atob(b64), (char) => char.charCodeAt(0));
    }
    if (text[i] === '?') {
      i += 2;
      if (rest[1] !== '0' && rest[1] !== '1') fail('bad boolean');
      return rest[1] === '1';
    }
    const number = /^-?\d{1,15}(?!\.)/.exec(rest);
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    const token = /^[A-Za-z*][!#$%&'*+\-.^_`|~:/A-Za-z0-9]*/.exec(rest);
    if (token) {
      i += token[0].length;
      return token[0];
    }
    return fail('expected a value');
  };
  const params = (): Map<string, Bare> => {
    const map = new Map<string, Bare>();
    while (text[i] === ';') {
      i++;
      skip();
      const name = key();
      if (text[i] === '=') {
        i++;
        map.set(name, bare());
      } else map.set(name, true);
    }
    return map;
  };
  skip();
  while (i < text.length) {
    const name = key();
    if (text[i] !== '=') fail('expected =');
    i++;
    const start = i;
    let value: Bare | Bare[];
    if (text[i] === '(') {
      i++;
      const items: Bare[] = [];
      for (;;) {
        skip();
        if (text[i] === ')') {
          i++;
          break;
        }
        items.push(bare());
        // A component with parameters (;sf, ;key, ;req) is no component this scheme signs.
        if (text[i] === ';') fail('component parameters are not supported');
        if (text[i] !== ' ' && text[i] !== ')') fail('expected a space or )');
      }
      value = items;
    } else value = bare();
    const memberParams = params();
    out.set(name, { value, params: memberParams, raw: text.slice(start, i) });
    skip();
    if (i >= text.length) break;
    if (text[i] !== ',') fail('expected ,');
    i++;
    skip();
  }
  return out;
}
