import { compactVerify, createLocalJWKSet, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import {
  generateSigningKey,
  PUBLIC_KEYS,
  parseSigningKey,
  SIGNING_KEY,
  SIGNING_KEY_PREVIOUS,
  signingKeyOf,
  workerSecrets,
} from '../../src/secrets/jwt-keys.js';

describe('JWT signing keys', () => {
  test('the worker gets the public halves, never a private key', async () => {
    const current = await generateSigningKey();
    const previous = await generateSigningKey();
    const sent = workerSecrets({ API_KEY: 'k'.repeat(32), [SIGNING_KEY]: current, [SIGNING_KEY_PREVIOUS]: previous });
    expect(Object.keys(sent).sort()).toEqual(['API_KEY', PUBLIC_KEYS]);
    const jwks = JSON.parse(sent[PUBLIC_KEYS] as string) as { keys: Array<Record<string, string>> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([parseSigningKey(current).kid, parseSigningKey(previous).kid]);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });

  test('a token signed with the private key verifies against the JWKS the worker holds', async () => {
    const text = await generateSigningKey();
    const { kid } = parseSigningKey(text);
    const token = await new SignJWT({ sub: 'alice@acme.example' })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .sign(await signingKeyOf(text));
    const jwks = createLocalJWKSet(JSON.parse(workerSecrets({ [SIGNING_KEY]: text })[PUBLIC_KEYS] as string));
    await expect(compactVerify(token, jwks)).resolves.toBeDefined();
  });

  test('a value that is not an Ed25519 private JWK is refused', () => {
    expect(() => parseSigningKey('not json')).toThrow(/JSON Web Key/);
    expect(() => parseSigningKey(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'abc' }))).toThrow(/private key/);
  });

  test('a client without a signing key sends no JWT_PUBLIC_KEYS', () => {
    expect(workerSecrets({ API_KEY: 'x' })).toEqual({ API_KEY: 'x' });
  });
});
