import { join } from 'node:path';
import { usageError } from '../../util/errors.js';
import { readFileIfExists, writeFileAtomic } from '../../util/files.js';
import { recipientProblem } from './age.js';

/**
 * The team's recipients: `.secrets-recipients` at the project root, committed. One age public key
 * (`age1…`) per line, optionally followed by a label (who it is); `#` starts a comment. Every
 * sealed `.secrets.<client>.age` is encrypted to all of them.
 */

export const RECIPIENTS_FILE = '.secrets-recipients';

export interface RecipientEntry {
  recipient: string;
  label: string | undefined;
  line: number;
}

export function recipientsPath(projectDir: string): string {
  return join(projectDir, RECIPIENTS_FILE);
}

export function parseRecipients(text: string, file: string): RecipientEntry[] {
  const entries: RecipientEntry[] = [];
  const seen = new Map<string, number>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const content = raw.replace(/#.*$/, '').trim();
    if (content === '') continue;
    const [recipient, ...rest] = content.split(/\s+/) as [string, ...string[]];
    if (recipient === 'ssh-ed25519' || recipient === 'ssh-rsa')
      throw usageError(
        `${file}:${line}: SSH keys are not supported as recipients; give an age key (age1…)`,
        'Make one with: mcp-fleet recipients keygen --out ~/.config/mcp-fleet/age-identity.txt',
      );
    const problem = recipientProblem(recipient);
    if (problem !== undefined)
      throw usageError(
        `${file}:${line}: "${recipient.slice(0, 24)}${recipient.length > 24 ? '…' : ''}" is not an age recipient (${problem})`,
        'Each line is an age public key (age1…) and, optionally, who it is.',
      );
    if (seen.has(recipient)) throw usageError(`${file}:${line}: the same recipient as line ${seen.get(recipient)}`);
    seen.set(recipient, line);
    entries.push({ recipient, label: rest.length > 0 ? rest.join(' ') : undefined, line });
  }
  return entries;
}

/** The project's recipients; undefined when the file does not exist. */
export async function readRecipients(projectDir: string): Promise<RecipientEntry[] | undefined> {
  const text = await readFileIfExists(recipientsPath(projectDir));
  return text === undefined ? undefined : parseRecipients(text, RECIPIENTS_FILE);
}

/** The recipients a seal needs: the file must exist and name at least one. */
export async function requireRecipients(projectDir: string): Promise<RecipientEntry[]> {
  const entries = await readRecipients(projectDir);
  if (!entries || entries.length === 0)
    throw usageError(
      `${RECIPIENTS_FILE} ${entries ? 'names no recipient' : 'does not exist'}: there is no one to seal the secrets for`,
      'Make a key and add yourself: mcp-fleet recipients keygen, then mcp-fleet recipients add <the age1… it printed> --name <you>.',
    );
  return entries;
}

export function formatRecipients(entries: readonly Pick<RecipientEntry, 'recipient' | 'label'>[]): string {
  const header = [
    '# Who can open the sealed secrets files (.secrets.<client>.age): one age public key per line,',
    '# then who it is. Change it with `mcp-fleet recipients add|remove`, which re-seals every client.',
  ];
  return `${[...header, ...entries.map((entry) => (entry.label ? `${entry.recipient} ${entry.label}` : entry.recipient))].join('\n')}\n`;
}

export async function writeRecipients(projectDir: string, entries: readonly Pick<RecipientEntry, 'recipient' | 'label'>[]): Promise<void> {
  await writeFileAtomic(recipientsPath(projectDir), formatRecipients(entries));
}
