import { parseSecrets } from './dotfile.js';

/** The keys every client needs, in template order. Values in the template are ignored: it is committed. */
export function templateKeys(text: string, file: string): string[] {
  return parseSecrets(text, file).map((entry) => entry.key);
}

export interface Completeness {
  /** Keys of the template absent from the file. */
  missing: string[];
  /** Keys present but empty. */
  empty: string[];
}

export function checkCompleteness(required: readonly string[], values: ReadonlyMap<string, string>): Completeness {
  const missing: string[] = [];
  const empty: string[] = [];
  for (const key of required) {
    const value = values.get(key);
    if (value === undefined) missing.push(key);
    else if (value === '') empty.push(key);
  }
  return { missing, empty };
}

export function isComplete(completeness: Completeness): boolean {
  return completeness.missing.length === 0 && completeness.empty.length === 0;
}

/** Names what is wrong, for messages ("missing UPSTREAM_TOKEN; empty API_KEY"). */
export function describeIncomplete(completeness: Completeness): string {
  const parts: string[] = [];
  if (completeness.missing.length) parts.push(`missing ${completeness.missing.join(', ')}`);
  if (completeness.empty.length) parts.push(`empty ${completeness.empty.join(', ')}`);
  return parts.join('; ');
}
