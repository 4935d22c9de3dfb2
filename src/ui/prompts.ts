import * as clack from '@clack/prompts';
import { usageError } from '../util/errors.js';

/** Asks for a secret value with masked input; undefined when the person skips it (empty input). */
export async function askSecret(key: string, client: string, message?: string): Promise<string | undefined> {
  const answer = await clack.password({ message: message ?? `${key} for ${client} (leave empty to fill in later)`, mask: '•' });
  if (clack.isCancel(answer)) throw usageError('cancelled; nothing was written');
  return answer === '' ? undefined : answer;
}

/** Asks for a plain setting (it goes into wrangler.jsonc, so it is shown as typed); undefined when skipped. */
export async function askText(key: string, client: string): Promise<string | undefined> {
  const answer = await clack.text({ message: `${key} for ${client} (a setting in wrangler.jsonc; leave empty to skip)` });
  if (clack.isCancel(answer)) throw usageError('cancelled; nothing was written');
  return answer === '' || answer === undefined ? undefined : answer;
}

export async function confirm(message: string): Promise<boolean> {
  const answer = await clack.confirm({ message, initialValue: false });
  if (clack.isCancel(answer)) return false;
  return answer;
}

/** One of a few choices (arrow keys, Enter); undefined when the person cancels (Ctrl-C, Escape). */
export async function choose<T extends string>(message: string, options: readonly { value: T; label: string }[]): Promise<T | undefined> {
  // Option<T> is a conditional type TypeScript cannot resolve for a generic T; every T here is a string.
  const choices = options.map((option) => ({ value: option.value, label: option.label })) as clack.Option<T>[];
  const answer = await clack.select<T>({ message, options: choices });
  return clack.isCancel(answer) ? undefined : answer;
}
