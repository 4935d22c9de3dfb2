import { describe, expect, it } from 'vitest';
// The worker's signer and the upstream's verifier are written apart: each checks the other.
import { encodeSubject, signatureHeaders, keyId as workerKeyId } from '../../templates/project/src/signing.js';
import {
  keyId,
  keyring,
  memoryNonceStore,
  type SignedRequest,
  type VerifyOptions,
  verifyUpstreamRequest,
} from '../../templates/upstream-verifier/verify.js';
import { resign } from '../helpers/upstream-signing.js';

const CURRENT = 'acme-signing-key-current-5f1c0a9e7d3b';
const PREVIOUS = 'acme-signing-key-previous-2b8e44c1a0f6';
const OTHER = 'globex-signing-key-9d0e13f27ac5';
const URL_ = new URL('https://api.acme.example/items?limit=2');
/** 2026-12-06T12:00:00Z, the moment every request here is signed. */
const T0 = 1_796_644_800;
let nonceCount = 0;

async function signed(
  options: {
    keys?: { current: string; previous?: string };
    body?: string;
    method?: string;
    subject?: string;
    created?: number;
    nonce?: string;
  } = {},
): Promise<{ method: string; url: string; headers: Record<string, string>; body: string }> {
  const body = options.body ?? '';
  const headers = await signatureHeaders({
    method: options.method ?? 'GET',
    url: URL_,
    body: new TextEncoder().encode(body),
    client: 'acme',
    subject: options.subject,
    keys: options.keys ?? { current: CURRENT },
    created: options.created ?? T0,
    nonce: options.nonce ?? `nonce-${++nonceCount}`,
  });
  return { method: options.method ?? 'GET', url: URL_.href, headers, body };
}

async function verify(request: SignedRequest, overrides: Partial<VerifyOptions> = {}) {
  return verifyUpstreamRequest(request, {
    keys: await keyring({ acme: CURRENT, globex: OTHER }),
    nonces: memoryNonceStore(),
    now: () => (T0 + 2) * 1000,
    ...overrides,
  });
}

describe('upstream request signatures', () => {
  it('a request the worker signed verifies, naming the client, the key and the subject', async () => {
    const request = await signed({ subject: 'ana@acme.example' });
    expect(request.headers['content-digest']).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
    expect(request.headers['signature-input']).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest" "mcp-fleet-client" "mcp-fleet-subject"\);created=1796644800;expires=1796645100;nonce="[^"]+";keyid="acme:k-[0-9a-f]{8}";alg="hmac-sha256";tag="mcp-fleet-upstream"$/,
    );
    expect(await verify(request)).toEqual({
      ok: true,
      client: 'acme',
      keyid: await keyId('acme', CURRENT),
      label: 'sig1',
      subject: 'ana@acme.example',
    });
  });

  it('both sides name a key alike, and the name reveals nothing of it', async () => {
    const id = await keyId('acme', CURRENT);
    expect(await workerKeyId('acme', CURRENT)).toBe(id);
    expect(id).toMatch(/^acme:k-[0-9a-f]{8}$/);
    expect(id).not.toContain(CURRENT.slice(0, 8));
  });

  it('a subject that is not plain ASCII travels percent-encoded and comes back as it was', async () => {
    expect(encodeSubject('zoë 100%@acme.example')).toBe('zo%C3%AB%20100%25@acme.example');
    expect(await verify(await signed({ subject: 'zoë 100%@acme.example' }))).toMatchObject({ ok: true, subject: 'zoë 100%@acme.example' });
  });

  it('a WHATWG Request with a body verifies, and its body can still be read afterwards', async () => {
    const parts = await signed({ method: 'POST', body: '{"q":1}' });
    const request = new Request(parts.url, { method: 'POST', headers: parts.headers, body: parts.body });
    expect(await verify(request)).toMatchObject({ ok: true, client: 'acme' });
    expect(await request.text()).toBe('{"q":1}');
  });

  it('a key the upstream does not know is refused', async () => {
    const request = await signed({ keys: { current: 'some-other-key-nobody-shared-01' } });
    expect(await verify(request)).toEqual({ ok: false, reason: 'signed by no key this upstream knows' });
  });

  it('the right key id with the wrong secret is refused', async () => {
    const request = await signed();
    const wrong = { [await keyId('acme', CURRENT)]: 'not-the-key-at-all-0000000000' };
    expect(await verify(request, { keys: wrong })).toMatchObject({ ok: false, reason: 'signature sig1 does not match the request' });
  });

  it('another method, another URI, another body or another digest is refused', async () => {
    const request = await signed({ method: 'POST', body: 'amount=10' });
    expect(await verify({ ...request, method: 'DELETE' })).toMatchObject({ ok: false, reason: expect.stringContaining('does not match') });
    expect(await verify({ ...request, url: 'https://api.acme.example/items?limit=2000' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not match'),
    });
    expect(await verify({ ...request, body: 'amount=10000' })).toEqual({ ok: false, reason: 'content-digest does not match the body' });
    const otherDigest = (await signed({ method: 'POST', body: 'amount=10000' })).headers['content-digest'] as string;
    expect(
      await verify({ ...request, body: 'amount=10000', headers: { ...request.headers, 'content-digest': otherDigest } }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not match the request'),
    });
  });

  it('another client header or subject than the signed one is refused', async () => {
    const request = await signed({ subject: 'ana@acme.example' });
    expect(await verify({ ...request, headers: { ...request.headers, 'mcp-fleet-client': 'globex' } })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not match'),
    });
    expect(await verify({ ...request, headers: { ...request.headers, 'mcp-fleet-subject': 'boss@acme.example' } })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not match'),
    });
  });

  it("a client's key cannot speak for another client", async () => {
    // Signed by globex's worker but claiming acme: the key names globex.
    const headers = await signatureHeaders({
      method: 'GET',
      url: URL_,
      body: new Uint8Array(0),
      client: 'globex',
      keys: { current: OTHER },
      created: T0,
      nonce: 'n-cross',
    });
    const forged: Record<string, string> = { ...headers, 'mcp-fleet-client': 'acme' };
    expect(await verify({ method: 'GET', url: URL_.href, headers: forged })).toEqual({
      ok: false,
      reason: 'signature sig1 does not match the request',
    });
    // Even signed over the changed header (by a holder of globex's key), the key still names globex.
    const resigned = { method: 'GET', url: URL_.href, headers: forged };
    resigned.headers = { ...forged, signature: resign(resigned, forged['signature-input'] as string, OTHER) };
    expect(await verify(resigned)).toEqual({
      ok: false,
      reason: `mcp-fleet-client does not name the client of key ${await keyId('globex', OTHER)}`,
    });
  });

  it('stale, expired and future signatures are refused; within the skew they pass', async () => {
    const at = (seconds: number) => () => seconds * 1000;
    expect(await verify(await signed(), { now: at(T0 + 301) })).toEqual({
      ok: false,
      reason: 'signature sig1 is stale (created more than 300 s ago)',
    });
    expect(await verify(await signed(), { now: at(T0 + 300) })).toMatchObject({ ok: true });
    expect(await verify(await signed(), { now: at(T0 - 301) })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('in the future'),
    });
    expect(await verify(await signed(), { now: at(T0 - 299) })).toMatchObject({ ok: true });
    // A verifier with a tighter window: created 100 s ago is fine, but the signature expired.
    const request = await signed();
    expect(await verify(request, { now: at(T0 + 301), maxSkewSeconds: 600 })).toEqual({ ok: false, reason: 'signature sig1 has expired' });
  });

  it('a signature valid for longer than the window is refused', async () => {
    const request = await signed();
    const input = (request.headers['signature-input'] as string).replace(/expires=\d+/, `expires=${T0 + 3600}`);
    // The params are part of the signed text: re-signed, as a holder of the key could.
    const headers = { ...request.headers, 'signature-input': input, signature: resign(request, input, CURRENT) };
    expect(await verify({ ...request, headers })).toEqual({ ok: false, reason: 'signature sig1 is valid for longer than 300 s' });
    // A verifier with a tighter clock window still takes the worker's 300 s lifetime.
    expect(await verify(await signed(), { maxSkewSeconds: 60 })).toMatchObject({ ok: true });
  });

  it('a replayed request is refused, and its nonce is forgotten once it could not pass anyway', async () => {
    const nonces = memoryNonceStore();
    const request = await signed({ nonce: 'n-replay' });
    expect(await verify(request, { nonces })).toMatchObject({ ok: true });
    expect(await verify(request, { nonces })).toEqual({ ok: false, reason: 'replayed request (nonce seen before)' });
    expect(nonces.size()).toBe(1);
    // Another request with its own nonce, verified once the first signature's window has closed.
    expect(await verify(await signed({ nonce: 'n-later', created: T0 + 301 }), { nonces, now: () => (T0 + 302) * 1000 })).toMatchObject({
      ok: true,
    });
    expect(nonces.size()).toBe(1);
  });

  it('a signature that leaves out a required component, or has no signature at all, is refused', async () => {
    const request = await signed();
    expect(await verify({ ...request, headers: { accept: '*/*' } })).toEqual({
      ok: false,
      reason: 'no Signature-Input or Signature header',
    });
    const input = (request.headers['signature-input'] as string).replace(' "content-digest"', '');
    const headers = { ...request.headers, 'signature-input': input, signature: resign(request, input, CURRENT) };
    expect(await verify({ ...request, headers })).toEqual({ ok: false, reason: 'signature sig1 does not cover content-digest' });
    // A subject header added after signing, outside the signature.
    expect(await verify({ ...request, headers: { ...request.headers, 'mcp-fleet-subject': 'boss@acme.example' } })).toEqual({
      ok: false,
      reason: 'signature sig1 does not cover mcp-fleet-subject',
    });
  });

  it('during a grace period the request carries two signatures, and either key verifies it', async () => {
    const request = await signed({ keys: { current: CURRENT, previous: PREVIOUS }, nonce: 'n-grace' });
    expect(request.headers.signature).toMatch(/^sig1=:[^:]+:, sig2=:[^:]+:$/);
    const onlyNew = await verify(request, { keys: await keyring({ acme: CURRENT }) });
    expect(onlyNew).toEqual({ ok: true, client: 'acme', keyid: await keyId('acme', CURRENT), label: 'sig1' });
    const onlyOld = await verify(request, { keys: await keyring({ acme: PREVIOUS }) });
    expect(onlyOld).toEqual({ ok: true, client: 'acme', keyid: await keyId('acme', PREVIOUS), label: 'sig2' });
    // One request, one nonce: an upstream that knows both keys still sees a replay once.
    const nonces = memoryNonceStore();
    const both = { keys: await keyring({ acme: [CURRENT, PREVIOUS] }), nonces };
    expect(await verify(request, both)).toMatchObject({ ok: true, label: 'sig1' });
    expect(await verify(request, both)).toEqual({ ok: false, reason: 'replayed request (nonce seen before)' });
  });

  it('garbage in the signature headers is refused, not thrown', async () => {
    const request = await signed();
    for (const input of ['sig1=("@method"', 'sig1', '=()', 'sig1=("@method";sf);tag="mcp-fleet-upstream"']) {
      const result = await verify({ ...request, headers: { ...request.headers, 'signature-input': input } });
      expect(result.ok, input).toBe(false);
    }
  });
});
