/** The fewest bytes a bearer key may have: below this it can be guessed (mcp-fleet generates 32). */
export const MIN_API_KEY_BYTES = 16;

/**
 * Why `value` cannot be a key that opens a worker, or undefined when it can: a key of spaces or a
 * few characters opens the worker to anyone who guesses it. Says what is wrong, never what the value is.
 */
export function apiKeyProblem(value: string): string | undefined {
  if (value.trim() === '') return value === '' ? 'is empty' : 'is only whitespace';
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < MIN_API_KEY_BYTES) return `is ${bytes} byte${bytes === 1 ? '' : 's'} long, under the ${MIN_API_KEY_BYTES} a key needs`;
  return undefined;
}
