import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { describeMcpError, truncate } from '../../src/ops/verify/mcp-session.js';
import { createRedactor, MIN_PIECE, REDACTED } from '../../src/util/redact.js';

/**
 * The redactor behind verify's reports: no substring of 8 or more characters of a secret survives,
 * whether the worker echoed the whole value, a prefix of it, or a report cut it to length. Every
 * offset is tried, so no case is left to chance.
 */

/** A 43-character key, as mcp-fleet generates them (base64url of 32 bytes); fixed, so every run tries the same text. */
const KEY = 'Zq3v_kW9xT0bN7mR2pLc8YdF5hJ1sA6gE4uI-oVnBtQ';
const OTHER = 'up_7f3a9c1e5b2d8f4a6c0e';

/** Every substring of `secret` of MIN_PIECE characters that `text` holds (none, when it is clean). */
function piecesIn(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + MIN_PIECE <= secret.length; i++) {
    const piece = secret.slice(i, i + MIN_PIECE);
    if (text.includes(piece)) found.push(piece);
  }
  return found;
}

const redact = createRedactor([KEY, OTHER, 'short']);

describe('the redactor', () => {
  it('blanks whole values, longest first, and leaves short values and ordinary text alone', () => {
    expect(redact(`a ${KEY} b ${OTHER} c short`)).toBe(`a ${REDACTED} b ${REDACTED} c short`);
    expect(createRedactor(['abcdefgh', 'abcdefgh-longer'])('x abcdefgh-longer y')).toBe(`x ${REDACTED} y`);
    expect(redact('HTTP 401: {"error":"unauthorized"}')).toBe('HTTP 401: {"error":"unauthorized"}');
  });

  it('blanks every piece of 8 or more characters: a prefix, a suffix, a middle, pieces side by side', () => {
    for (let start = 0; start < KEY.length; start++) {
      for (let end = start + MIN_PIECE; end <= KEY.length; end++) {
        const text = `presented "${KEY.slice(start, end)}" here`;
        const out = redact(text);
        expect(piecesIn(out, KEY), text).toEqual([]);
        expect(out).toBe(`presented "${REDACTED}" here`);
      }
    }
    // Seven characters are not a piece: they are left (they say nothing of the rest of the key).
    expect(redact(`x ${KEY.slice(0, 7)} y`)).toBe(`x ${KEY.slice(0, 7)} y`);
    expect(piecesIn(redact(`${KEY.slice(0, 20)}/${KEY.slice(25)}`), KEY)).toEqual([]);
  });

  it('redacting before a cut leaves no piece at any cut; cutting first (the old order) leaves 42 of 43 characters', () => {
    for (let offset = 0; offset <= 170; offset++) {
      const body = `{"error":"unauthorized","note":"${'n'.repeat(offset)}","presented":"${KEY}"}`;
      const out = redact(truncate(redact(body)));
      expect(piecesIn(out, KEY), `offset ${offset}`).toEqual([]);
    }
    // The case of the issue: the key starts 118 characters in, so a cut at 160 keeps 42 of its 43 characters.
    const body = `${'x'.repeat(118)}${KEY}"}`;
    const old = createRedactorWholeOnly([KEY])(truncate(body));
    expect(old).toContain(KEY.slice(0, 42));
    expect(piecesIn(redact(truncate(redact(body))), KEY)).toEqual([]);
  });

  it("describeMcpError redacts the worker's body before it cuts it", () => {
    for (let offset = 100; offset <= 160; offset++) {
      const text = `{"error":"unauthorized","pad":"${'p'.repeat(offset)}","presented":"${KEY}"}`;
      const error = new SdkError(SdkErrorCode.ClientHttpAuthentication, 'unauthorized', { status: 401, text });
      const detail = describeMcpError(error, 5_000, redact);
      expect(detail.startsWith('HTTP 401: {"error":"unauthorized"')).toBe(true);
      expect(piecesIn(redact(detail), KEY), `offset ${offset}`).toEqual([]);
    }
  });
});

/** The redaction before this change: whole values only (kept here to show what the cut used to leak). */
function createRedactorWholeOnly(secrets: readonly string[]): (text: string) => string {
  return (text) => secrets.reduce((out, secret) => out.split(secret).join(REDACTED), text);
}
