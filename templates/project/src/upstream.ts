import { type SigningKeys, signatureHeaders } from './signing';

/**
 * Calling the client's upstream API from a tool (see fetch_upstream in tools.ts): the base URL is
 * the client's UPSTREAM_URL var, the credential its UPSTREAM_TOKEN secret, and, when the client has
 * an UPSTREAM_SIGNING_KEY, an RFC 9421 signature on every request (./signing.ts). The caller's own
 * Authorization never goes upstream: the upstream sees the client's credential and, signed, who called.
 */

/** Tool results are meant for a model's context: a preview, not a download. */
export const MAX_BODY_BYTES = 4 * 1024;

const UPSTREAM_TIMEOUT_MS = 10_000;

export interface UpstreamResult {
  status: number;
  body: string;
  truncated: boolean;
}

/**
 * Joins the client's base URL and a caller-supplied path, refusing any result
 * that would leave the base URL's origin: the request carries the client's
 * credential, so a crafted path must never send it to another host.
 */
export function upstreamUrl(base: string, path: string): URL {
  const root = new URL(base);
  const joined = new URL(base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
  if (joined.origin !== root.origin) {
    throw new Error('path must stay on the upstream host');
  }
  return joined;
}

/** Who the request is made for, when the client signs its upstream calls. */
export interface UpstreamSigning {
  client: string;
  subject?: string;
  keys: SigningKeys;
}

/**
 * The signing keys in `env`, or undefined when the client has none: a worker of a project made
 * before signing existed keeps calling its upstream as it did (bearer token only).
 */
export function signingKeys(env: { UPSTREAM_SIGNING_KEY?: string; UPSTREAM_SIGNING_KEY_PREVIOUS?: string }): SigningKeys | undefined {
  const current = env.UPSTREAM_SIGNING_KEY;
  if (typeof current !== 'string' || current === '') return undefined;
  const previous = env.UPSTREAM_SIGNING_KEY_PREVIOUS;
  return typeof previous === 'string' && previous !== '' ? { current, previous } : { current };
}

/**
 * GETs `url` as the client (Bearer UPSTREAM_TOKEN, signed when `signing` is given) and keeps at
 * most MAX_BODY_BYTES of the body. The bearer token stays beside the signature: an upstream that
 * checks only one of them keeps working while the other is rolled out.
 */
export async function getUpstream(url: URL, token: string, signing?: UpstreamSigning): Promise<UpstreamResult> {
  const signed = signing
    ? await signatureHeaders({
        method: 'GET',
        url,
        body: new Uint8Array(0),
        client: signing.client,
        subject: signing.subject,
        keys: signing.keys,
      })
    : {};
  const response = await fetch(url, {
    method: 'GET',
    headers: { ...signed, authorization: `Bearer ${token}`, accept: 'application/json, text/plain;q=0.9, */*;q=0.5' },
    redirect: 'manual',
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  const { bytes, truncated } = await readPrefix(response.body, MAX_BODY_BYTES);
  return { status: response.status, body: new TextDecoder().decode(bytes), truncated };
}

async function readPrefix(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (body === null) return { bytes: new Uint8Array(0), truncated: false };
  const reader = body.getReader();
  const out = new Uint8Array(limit);
  let length = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - length;
    if (value.length > room) {
      out.set(value.subarray(0, room), length);
      length = limit;
      truncated = true;
      // Stop pulling: the rest of a large body is never needed.
      await reader.cancel();
      break;
    }
    out.set(value, length);
    length += value.length;
  }
  return { bytes: out.subarray(0, length), truncated };
}
