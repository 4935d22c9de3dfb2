/** The fewest bytes a bearer key may have: below this it can be guessed (mcp-fleet generates 32). */
export const MIN_API_KEY_BYTES = 16;

/**
 * Why `value` cannot be a key that opens a worker (API_KEY, or API_KEY_PREVIOUS in a grace
 * period: both open it alike, so both obey the same rules), or undefined when it can. A key
 * travels as `Authorization: Bearer <key>`, and the worker takes one run of visible characters
 * after "Bearer ": a key with whitespace at an end, or inside, can never be presented as stored, so
 * the real key would lock its client out; HTTP clients send only ASCII header values faithfully.
 * Says what is wrong, never what the value is.
 */
export function apiKeyProblem(value: string): string | undefined {
  if (value.trim() === '') return 'is only whitespace';
  if (value !== value.trimEnd()) return 'ends with whitespace (a space, tab or line break), which no caller can present';
  if (value !== value.trimStart()) return 'starts with whitespace, which no caller can present';
  if (/\s/.test(value)) return 'has whitespace inside, which no caller can present';
  if (/[^\x21-\x7e]/.test(value)) return 'has a character that is not visible ASCII (a control character or a non-ASCII letter)';
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < MIN_API_KEY_BYTES) return `is ${bytes} byte${bytes === 1 ? '' : 's'} long, under the ${MIN_API_KEY_BYTES} a key needs`;
  return undefined;
}
