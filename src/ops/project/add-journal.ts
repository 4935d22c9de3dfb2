import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readConfig, writeConfigText } from '../../config/wrangler-config.js';
import { SECRETS_FILE_MODE, secretsFileName, writeSecretsText } from '../../secrets/secrets-file.js';
import { FleetError } from '../../util/errors.js';
import { readFileIfExists, writeFileAtomic } from '../../util/files.js';
import { ensureStateDir, stateDir, statePaths } from '../../util/state-dir.js';

/**
 * `add` writes two files — the secrets file and wrangler.jsonc — and a kill between the two would
 * leave half a client: a secrets file no section names (a re-run then refuses it), or a config
 * change nothing uses. So before the first write add records here what it is about to do (names
 * and hashes, never a value); the record goes once both are written. The next `add` finds a record
 * left by a killed one and settles it: when the step that makes the client (its env section, or
 * for the top-level worker its secrets file) was written, the client is whole and the record goes;
 * otherwise what was written is undone (a secrets file add made is removed, one it replaced comes
 * back from its backup, the top level's additions are taken out). Either nothing or a whole client.
 */

const JournalSchema = z.object({
  version: z.literal(1),
  client: z.string(),
  /** env: a new env section, written last; default: the top-level worker, whose secrets file is written last. */
  kind: z.enum(['env', 'default']),
  startedAt: z.string(),
  /** The secrets file's text as add writes it, hashed: tells add's file from one written since. */
  secretsSha256: z.string(),
  /** The copy of the secrets file add replaced (--force), if it replaced one. */
  backup: z.string().nullable(),
  /** The config before and after add's edit (default kind, when it edits the config): to put back what a killed add added. */
  configBefore: z.string().nullable(),
  configAfterSha256: z.string().nullable(),
  /** What add reports, without values: the report of a finished add, given again by the run that settles it. */
  result: z.record(z.string(), z.unknown()),
});
export type AddJournal = z.infer<typeof JournalSchema>;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function journalPath(projectDir: string, client: string): string {
  return join(statePaths.backups(projectDir, client), 'pending-add');
}

export async function writeAddJournal(projectDir: string, journal: AddJournal): Promise<void> {
  await ensureStateDir(projectDir, statePaths.backups(projectDir, journal.client));
  await writeFileAtomic(journalPath(projectDir, journal.client), `${JSON.stringify(journal)}\n`, { mode: SECRETS_FILE_MODE });
}

export async function clearAddJournal(projectDir: string, client: string): Promise<void> {
  await rm(journalPath(projectDir, client), { force: true });
}

export interface SettledAdd {
  client: string;
  /** finished: the client was whole (the record only was left); undone: what the killed add wrote is gone. */
  outcome: 'finished' | 'undone';
  result: Record<string, unknown>;
}

async function readJournal(path: string, client: string): Promise<AddJournal | undefined> {
  const text = await readFileIfExists(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = JournalSchema.safeParse(json);
  if (!parsed.success || parsed.data.client !== client) {
    throw new FleetError(`${path} is damaged: it records an add of ${client} that was interrupted`, {
      hint: `Check .secrets.${client} and wrangler.jsonc by hand, then delete ${path}.`,
    });
  }
  return parsed.data;
}

async function settle(projectDir: string, journal: AddJournal): Promise<SettledAdd['outcome']> {
  // Read afresh: settling an earlier record may have put the config back.
  const config = await readConfig(projectDir);
  const secretsPath = join(projectDir, secretsFileName(journal.client));
  const secrets = await readFileIfExists(secretsPath);
  const oursInPlace = secrets !== undefined && sha256(secrets) === journal.secretsSha256;
  if (journal.kind === 'env') {
    if (config.config.env?.[journal.client] !== undefined) return 'finished';
    // The section never came: the secrets file add wrote goes (or the one it replaced comes back).
    if (oursInPlace) {
      if (journal.backup !== null) await writeSecretsText(secretsPath, await readFile(journal.backup, 'utf8'));
      else await rm(secretsPath, { force: true });
    }
    return 'undone';
  }
  if (oursInPlace) return 'finished';
  // The secrets file never came: the top level's additions go, unless the config changed since.
  if (journal.configBefore !== null && sha256(config.text) === journal.configAfterSha256) {
    await writeConfigText(config.path, journal.configBefore);
  }
  return 'undone';
}

/** Settles every add a kill interrupted in this project (the caller holds the project lock). */
export async function settleInterruptedAdds(projectDir: string): Promise<SettledAdd[]> {
  const backups = join(stateDir(projectDir), 'backups');
  let clients: string[];
  try {
    const entries = await readdir(backups, { withFileTypes: true });
    clients = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const settled: SettledAdd[] = [];
  for (const client of clients) {
    const path = journalPath(projectDir, client);
    const journal = await readJournal(path, client);
    if (!journal) continue;
    const outcome = await settle(projectDir, journal);
    await rm(path, { force: true });
    settled.push({ client, outcome, result: journal.result });
  }
  return settled;
}
