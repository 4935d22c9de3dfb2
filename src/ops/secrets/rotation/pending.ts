import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { sealText, unsealText } from '../../../secrets/sealed/age.js';
import { requireIdentities } from '../../../secrets/sealed/identity.js';
import { requireRecipients } from '../../../secrets/sealed/recipients.js';
import { SECRETS_FILE_MODE } from '../../../secrets/secrets-file.js';
import { FleetError } from '../../../util/errors.js';
import { readFileIfExists, writeFileAtomic } from '../../../util/files.js';
import { ensureStateDir, statePaths } from '../../../util/state-dir.js';

/**
 * A rotation writes its new value here (0600) before pushing it, so that a crash between the
 * push and the write of `.secrets.<client>` never loses the value the worker may already have.
 * The old value is not stored here: it stays in the secrets file and in the backup named below.
 */
const PendingRotationSchema = z.object({
  version: z.literal(1),
  client: z.string(),
  key: z.string(),
  value: z.string().min(1),
  /**
   * A client whose secrets are only sealed keeps its record sealed too (the value encrypted to the
   * team's recipients, `value` then absent on disk), so a rotation in CI leaves nothing decrypted.
   */
  sealed: z.boolean().optional(),
  /** The copy of the secrets file taken before anything changed. */
  backup: z.string(),
  startedAt: z.string(),
  /** The previous key stays valid (as API_KEY_PREVIOUS) until `secrets retire`. */
  grace: z.boolean().optional(),
});
export type PendingRotation = z.infer<typeof PendingRotationSchema>;

export function pendingRotationPath(projectDir: string, client: string): string {
  return join(statePaths.backups(projectDir, client), 'pending-rotation');
}

export async function readPendingRotation(projectDir: string, client: string): Promise<PendingRotation | undefined> {
  const path = pendingRotationPath(projectDir, client);
  const text = await readFileIfExists(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const stored = StoredSchema.safeParse(json);
  const parsed = stored.success ? PendingRotationSchema.safeParse(await openValue(stored.data, path)) : stored;
  if (!parsed.success || parsed.data.client !== client) {
    throw new FleetError(`${path} is damaged; it may hold the only copy of ${client}'s newest key`, {
      hint: 'Inspect it by hand (it is JSON with the new value); move it away once the worker and the secrets file agree.',
    });
  }
  return parsed.data;
}

export async function writePendingRotation(projectDir: string, record: PendingRotation): Promise<void> {
  await ensureStateDir(projectDir, statePaths.backups(projectDir, record.client));
  const { value, ...rest } = record;
  const recipients = record.sealed ? (await requireRecipients(projectDir)).map((entry) => entry.recipient) : [];
  const stored = record.sealed ? { ...rest, sealedValue: await sealText(value, recipients) } : record;
  await writeFileAtomic(pendingRotationPath(projectDir, record.client), `${JSON.stringify(stored)}\n`, { mode: SECRETS_FILE_MODE });
}

/** On disk, a sealed record holds `sealedValue` instead of `value`. */
const StoredSchema = z.object({ value: z.string().optional(), sealedValue: z.string().optional() }).passthrough();

async function openValue(stored: z.infer<typeof StoredSchema>, path: string): Promise<unknown> {
  if (stored.sealedValue === undefined) return stored;
  const { identities, source } = await requireIdentities(path);
  const { sealedValue, ...rest } = stored;
  return { ...rest, value: await unsealText(sealedValue, identities, path, source) };
}

export async function clearPendingRotation(projectDir: string, client: string): Promise<void> {
  await rm(pendingRotationPath(projectDir, client), { force: true });
}
