import { expect } from 'vitest';

/** A value shaped like a secret, put where a document must not look. */
export const SECRET = 'sk_live_0123456789abcdef-must-not-be-printed';

/**
 * `value` with fields no document declares, as an op might grow tomorrow (a token, a value): a
 * mapping that spread its input would print them.
 */
export function withExtra<T extends object>(value: T): T {
  return { ...value, apiToken: SECRET, values: { API_KEY: SECRET } };
}

/** The document as a consumer reads it (what JSON.stringify leaves out is gone), after checking it holds no secret. */
export function printed(document: unknown): unknown {
  const text = JSON.stringify(document, null, 2);
  expect(text).not.toContain(SECRET);
  return JSON.parse(text);
}
