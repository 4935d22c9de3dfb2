/**
 * RFC 9421 HTTP Message Signatures on the worker's requests to the client's upstream, so the
 * upstream can tell that a request comes from this client's worker (and on whose behalf) even when
 * UPSTREAM_TOKEN leaks or is shared. HMAC-SHA256 with the client's UPSTREAM_SIGNING_KEY secret, over
 * the method, the full target URI, the body's RFC 9530 Content-Digest and the mcp-fleet headers.
 * During a rotation's grace period the request carries a second signature made with
 * UPSTREAM_SIGNING_KEY_PREVIOUS, so an upstream that knows either key accepts it.
 *
 * Upstream authors verify with mcp-fleet's verifier (`mcp-fleet/upstream-verifier`); the two are
 * written apart on purpose, so the tests of each check the other.
 */

export const SIGNATURE_ALG = 'hmac-sha256';
/** How long a signature is good for: the upstream refuses it afterwards, so a captured request is worth little. */
export const SIGNATURE_TTL_SECONDS = 300;
/** Which application the signature is for (RFC 9421 `tag`), so a verifier can pick ours among others. */
export const SIGNATURE_TAG = 'mcp-fleet-upstream';
export const CLIENT_HEADER = 'mcp-fleet-client';
export const SUBJECT_HEADER = 'mcp-fleet-subject';

export interface SigningKeys {
  current: string;
  /** The key before the last rotation, during its grace period. */
  previous?: string;
}

export interface SignRequest {
  method: string;
  url: URL;
  body: Uint8Array<ArrayBuffer>;
  client: string;
  /** Who called the tool (a person's email, a token's `sub`, or `key`); sent percent-encoded. */
  subject?: string;
  keys: SigningKeys;
  /** Seconds since the epoch; the clock by default. */
  created?: number;
  nonce?: string;
}

const encoder = new TextEncoder();

/** The headers to add to the request: content-digest, the mcp-fleet headers, Signature-Input and Signature. */
export async function signatureHeaders(request: SignRequest): Promise<Record<string, string>> {
  const created = request.created ?? Math.floor(Date.now() / 1000);
  const nonce = request.nonce ?? randomNonce();
  const headers: Record<string, string> = {
    'content-digest': await contentDigest(request.body),
    [CLIENT_HEADER]: request.client,
  };
  if (request.subject !== undefined && request.subject !== '') headers[SUBJECT_HEADER] = encodeSubject(request.subject);
  const components = ['@method', '@target-uri', 'content-digest', CLIENT_HEADER, ...(SUBJECT_HEADER in headers ? [SUBJECT_HEADER] : [])];
  const values: Record<string, string> = { '@method': request.method.toUpperCase(), '@target-uri': request.url.href, ...headers };
  const keys = [request.keys.current, ...(request.keys.previous ? [request.keys.previous] : [])].filter(
    (key, index, all) => key !== '' && all.indexOf(key) === index,
  );
  const inputs: string[] = [];
  const signatures: string[] = [];
  for (const [index, key] of keys.entries()) {
    const label = `sig${index + 1}`;
    const params =
      `(${components.map((name) => `"${name}"`).join(' ')})` +
      `;created=${created};expires=${created + SIGNATURE_TTL_SECONDS};nonce="${nonce}"` +
      `;keyid="${await keyId(request.client, key)}";alg="${SIGNATURE_ALG}";tag="${SIGNATURE_TAG}"`;
    const base = [...components.map((name) => `"${name}": ${values[name]}`), `"@signature-params": ${params}`].join('\n');
    inputs.push(`${label}=${params}`);
    signatures.push(`${label}=:${base64(await hmac(key, base))}:`);
  }
  return { ...headers, 'signature-input': inputs.join(', '), signature: signatures.join(', ') };
}

/**
 * Names a key without revealing it: the client and the first 8 hex digits of the key's SHA-256.
 * A new key gets a new id by itself, so nothing has to count rotations.
 */
export async function keyId(client: string, key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(key)));
  return `${client}:k-${[...digest.subarray(0, 4)].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** RFC 9530 Content-Digest of the body, also for an empty one, so the body cannot be swapped. */
export async function contentDigest(body: Uint8Array<ArrayBuffer>): Promise<string> {
  return `sha-256=:${base64(new Uint8Array(await crypto.subtle.digest('SHA-256', body)))}:`;
}

/**
 * A subject may be an email with any letters in it, and a header value can only carry visible
 * ASCII faithfully: every other byte of its UTF-8 (and `%` itself) is percent-encoded.
 */
export function encodeSubject(subject: string): string {
  let out = '';
  for (const byte of encoder.encode(subject)) {
    out +=
      byte >= 0x21 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

async function hmac(key: string, text: string): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(text)));
}

function randomNonce(): string {
  return base64(crypto.getRandomValues(new Uint8Array(16)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
