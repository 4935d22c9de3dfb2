import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { newIdentity, recipientProblem } from '../../secrets/sealed/age.js';
import { defaultIdentityPath } from '../../secrets/sealed/identity.js';
import { RECIPIENTS_FILE, type RecipientEntry, readRecipients, writeRecipients } from '../../secrets/sealed/recipients.js';
import { sealedPathOf } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/files.js';
import type { ProgressListener } from '../fleet/progress.js';
import { type SealResult, sealSecrets } from './seal.js';

/**
 * The team's recipients. Adding or removing one re-seals every client that has a sealed copy, from
 * the sealed copy itself (what is committed), so a plain file's unsealed edits are not slipped in.
 * The recipients file is written first: a run cut short is finished by running it again.
 */

export interface KeygenResult {
  path: string;
  recipient: string;
}

/** A new identity in a 0600 file (never over an existing one); its public recipient is what others add. */
export async function keygen(out: string | undefined): Promise<KeygenResult> {
  const path = out ?? defaultIdentityPath();
  if ((await lstat(path).catch(() => undefined)) !== undefined)
    throw usageError(`${path} already exists; a new identity never replaces one`, 'Give another --out, or move the old file away first.');
  const { identity, recipient } = await newIdentity();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const text = `# created: ${new Date().toISOString()} by mcp-fleet recipients keygen\n# public key: ${recipient}\n${identity}\n`;
  await writeFileAtomic(path, text, { mode: 0o600 });
  return { path, recipient };
}

export interface RecipientsChange {
  recipients: RecipientEntry[];
  /** The entry added or removed; undefined when add found it already listed. */
  changed: Pick<RecipientEntry, 'recipient' | 'label'> | undefined;
  resealed: SealResult[];
}

export async function listRecipients(fleet: Fleet): Promise<RecipientEntry[]> {
  return (await readRecipients(fleet.dir)) ?? [];
}

export async function addRecipient(
  fleet: Fleet,
  recipient: string,
  label: string | undefined,
  onProgress?: ProgressListener,
): Promise<RecipientsChange> {
  const problem = recipientProblem(recipient);
  if (problem !== undefined)
    throw usageError(
      `<recipient>: not an age recipient (${problem})`,
      'Give an age public key (age1…): mcp-fleet recipients keygen prints one.',
    );
  const current = (await readRecipients(fleet.dir)) ?? [];
  const present = current.some((entry) => entry.recipient === recipient);
  const next = present ? current : [...current, { recipient, label, line: 0 }];
  if (!present) await writeRecipients(fleet.dir, next);
  return {
    recipients: await listRecipients(fleet),
    changed: present ? undefined : { recipient, label },
    resealed: await resealAll(fleet, onProgress),
  };
}

export async function removeRecipient(fleet: Fleet, who: string, onProgress?: ProgressListener): Promise<RecipientsChange> {
  const current = (await readRecipients(fleet.dir)) ?? [];
  const matches = current.filter((entry) => entry.recipient === who || entry.label === who);
  if (matches.length === 0) throw usageError(`${who} is not in ${RECIPIENTS_FILE}`, `See who is: mcp-fleet recipients list`);
  if (matches.length > 1) throw usageError(`${who} names ${matches.length} recipients in ${RECIPIENTS_FILE}; give the age1… key itself`);
  const next = current.filter((entry) => entry !== matches[0]);
  if (next.length === 0)
    throw usageError(
      `${who} is the last recipient: nobody could open the sealed files`,
      'Add the new owner first (mcp-fleet recipients add <age1…>), then remove this one.',
    );
  await writeRecipients(fleet.dir, next);
  const removed = matches[0] as RecipientEntry;
  return {
    recipients: await listRecipients(fleet),
    changed: { recipient: removed.recipient, label: removed.label },
    resealed: await resealAll(fleet, onProgress),
  };
}

/** Every client with a sealed copy, sealed again for the current recipients. */
async function resealAll(fleet: Fleet, onProgress: ProgressListener | undefined): Promise<SealResult[]> {
  const sealed = [];
  for (const client of fleet.clients)
    if ((await lstat(sealedPathOf(client.secretsPath)).catch(() => undefined)) !== undefined) sealed.push(client);
  if (sealed.length === 0) return [];
  return sealSecrets({ fleet, clients: sealed, force: true, fromSealed: true, onProgress });
}
