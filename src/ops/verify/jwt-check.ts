import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { parseSigningKey, SIGNING_ALG, signingKeyOf } from '../../secrets/jwt-keys.js';
import { TOKEN_TYPE } from '../identity/tokens.js';
import { keyAccepted } from './auth-probe.js';
import type { CheckResult } from './checks.js';
import { probeSession } from './mcp-session.js';

/**
 * `jwt`, for a client that enables per-person tokens: proven as a host would see it, with tokens
 * signed here the way `tokens issue` signs them (no API call, nothing recorded): a valid one opens
 * /mcp in both generations and whoami names its subject with via "jwt"; an expired one, one not
 * yet valid, one for another worker and one signed with a key the worker does not hold are each
 * refused with 401.
 */
export const VERIFY_SUBJECT = 'mcp-fleet-verify';
/** Past the worker's 60 s of allowed skew, so a refusal is not a matter of clocks. */
const PAST_SKEW_SECONDS = 120;

interface TokenShape {
  issuedAt: number;
  notBefore: number;
  expires: number;
  audience: string;
}

export async function checkJwt(input: {
  url: string;
  client: string;
  signingKey: string;
  /** A neighbour's worker URL: a token for it must not open this worker. */
  neighbourUrl: string | undefined;
  timeoutMs: number;
  redact: (text: string) => string;
}): Promise<CheckResult> {
  const started = performance.now();
  const origin = new URL(input.url).origin;
  const now = Math.floor(Date.now() / 1000);
  const own = `${origin}/mcp`;
  const key = await signingKeyOf(input.signingKey);
  const { kid } = parseSigningKey(input.signingKey);
  const sign = async (shape: TokenShape, signer: CryptoKey = key, keyId = kid) =>
    new SignJWT({ client: input.client })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: keyId, typ: TOKEN_TYPE })
      .setIssuer(origin)
      .setAudience(shape.audience)
      .setSubject(VERIFY_SUBJECT)
      .setJti(randomUUID())
      .setIssuedAt(shape.issuedAt)
      .setNotBefore(shape.notBefore)
      .setExpirationTime(shape.expires)
      .sign(signer);
  const valid: TokenShape = { issuedAt: now, notBefore: now, expires: now + 300, audience: own };
  const foreign = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519' });
  const elsewhere = input.neighbourUrl ? `${new URL(input.neighbourUrl).origin}/mcp` : 'https://not-this-worker.invalid/mcp';
  const refused: Array<[string, string]> = [
    ['expired', await sign({ ...valid, issuedAt: now - 900, notBefore: now - 900, expires: now - PAST_SKEW_SECONDS })],
    ['not yet valid', await sign({ ...valid, notBefore: now + 300 + PAST_SKEW_SECONDS, expires: now + 900 })],
    ['for another worker', await sign({ ...valid, audience: elsewhere })],
    ['signed with another key', await sign(valid, foreign.privateKey, kid)],
  ];
  const token = await sign(valid);
  const session = { timeoutMs: input.timeoutMs, whoamiTool: 'whoami', redact: input.redact };
  const [modern, legacy, ...probes] = await Promise.all([
    probeSession(input.url, token, 'modern', session),
    probeSession(input.url, token, 'legacy', session),
    ...refused.map(([label, bad]) => keyAccepted(input.url, bad, { timeoutMs: input.timeoutMs, label: `a token ${label}` })),
  ]);
  const ms = Math.round(performance.now() - started);
  const problems: string[] = [];
  for (const probe of [modern, legacy]) {
    const who = probe.whoami;
    if (probe.server === undefined && probe.unsupported) continue;
    if (!who) problems.push(`a valid token did not get a ${probe.generation} session: ${probe.error ?? 'no whoami answer'}`);
    else if (who.via !== 'jwt' || who.subject !== VERIFY_SUBJECT || who.client !== input.client)
      problems.push(
        `whoami (${probe.generation}) with a valid token named ${who.client ?? '?'}/${who.subject ?? '?'} via ${who.via ?? '?'}, expected ${input.client}/${VERIFY_SUBJECT} via jwt`,
      );
  }
  if (modern.server === undefined && legacy.server === undefined && problems.length === 0) problems.push('a valid token opened no session');
  probes.forEach((probe, index) => {
    const label = refused[index]?.[0] ?? '';
    if (probe.status !== 401) problems.push(`a token ${label} was not refused: ${probe.detail}`);
  });
  if (problems.length > 0) return { name: 'jwt', ok: false, ms, detail: input.redact(problems.join('; ')) };
  return {
    name: 'jwt',
    ok: true,
    ms,
    detail:
      "a signed token opens /mcp as its subject (via jwt); expired, not yet valid, another worker's and foreign-signed tokens are refused (401)",
  };
}
