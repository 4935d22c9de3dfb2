import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/**
 * A client's JWT signing keys. The private half lives in `.secrets.<client>` only (JWT_SIGNING_KEY,
 * and JWT_SIGNING_KEY_PREVIOUS while a rotation's grace runs); the worker gets the public halves as
 * one JWKS secret, JWT_PUBLIC_KEYS, so a leaked worker secret can verify tokens but never mint one.
 */
export const SIGNING_KEY = 'JWT_SIGNING_KEY';
export const SIGNING_KEY_PREVIOUS = 'JWT_SIGNING_KEY_PREVIOUS';
export const PUBLIC_KEYS = 'JWT_PUBLIC_KEYS';
export const SIGNING_ALG = 'EdDSA';

/** Secrets that stay on the operator's side: never pushed, never a worker secret name. */
export const LOCAL_ONLY_SECRETS: readonly string[] = [SIGNING_KEY, SIGNING_KEY_PREVIOUS];

/** A new Ed25519 private key as the one-line JSON JWK the secrets file holds, with a fresh key id. */
export async function generateSigningKey(now: Date = new Date()): Promise<string> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `${now.toISOString().slice(0, 10).replaceAll('-', '')}-${crypto.randomUUID().slice(0, 8)}`;
  return JSON.stringify({ ...jwk, kid, alg: SIGNING_ALG, use: 'sig' });
}

/** Parses a JWT_SIGNING_KEY value; throws a plain Error (the caller names the file) when it is not an Ed25519 private JWK. */
export function parseSigningKey(text: string): JWK & { kid: string; d: string } {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new Error('is not a JSON Web Key (expected one line of JSON)');
  }
  const key = jwk as Partial<JWK>;
  if (
    typeof key !== 'object' ||
    key === null ||
    key.kty !== 'OKP' ||
    key.crv !== 'Ed25519' ||
    typeof key.d !== 'string' ||
    typeof key.x !== 'string'
  )
    throw new Error('is not an Ed25519 private key (kty OKP, crv Ed25519, with d and x)');
  if (typeof key.kid !== 'string' || key.kid === '') throw new Error('has no key id (kid)');
  return key as JWK & { kid: string; d: string };
}

/** The public half of a signing key, as the worker's JWKS lists it. */
export function publicHalf(text: string): JWK {
  const { kty, crv, x, kid } = parseSigningKey(text);
  return { kty, crv, x, kid, alg: SIGNING_ALG, use: 'sig' };
}

/** The private key, ready to sign with. */
export async function signingKeyOf(text: string): Promise<CryptoKey> {
  return (await importJWK(parseSigningKey(text), SIGNING_ALG)) as CryptoKey;
}

/**
 * What the worker gets from a client's secrets file: every value except the private signing keys,
 * plus JWT_PUBLIC_KEYS derived from them when there is one. Every command that sends or compares a
 * client's secrets goes through this, so no private key ever leaves the machine.
 */
export function workerSecrets(values: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (!LOCAL_ONLY_SECRETS.includes(name)) out[name] = value;
  const halves = [values[SIGNING_KEY], values[SIGNING_KEY_PREVIOUS]]
    .filter((text): text is string => typeof text === 'string' && text !== '')
    .map(publicHalf);
  if (halves.length > 0) out[PUBLIC_KEYS] = JSON.stringify({ keys: halves });
  return out;
}
