import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { RemovedSection } from '../../config/wrangler-config.js';
import { SECRETS_FILE_MODE } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { readdirIfAny, writeFileAtomic } from '../../util/files.js';
import { statePaths } from '../../util/state-dir.js';

/**
 * What `remove` keeps of a client, in `.mcp-fleet/removed/`, so that `restore` can bring it back:
 *
 *   <client>.<stamp>.secrets      its secrets file, byte for byte (0600)
 *   <client>.<stamp>.secrets.age  its sealed copy (secrets seal), byte for byte, when it had one
 *   <client>.<stamp>.json         the removal record: its worker, and its env section as written (0600)
 *
 * One stamp per removal. An older mcp-fleet kept only the secrets file.
 */

export interface RemovalRecord {
  client: string;
  removedAt: string;
  /** The worker it deployed. */
  worker: string;
  /** Its wrangler env; null for the top-level worker made a client (whose settings stayed in the config). */
  env: string | null;
  /** The env section as it was written; null for the top-level worker. */
  section: RemovedSection | null;
  /** The name of the kept secrets file beside the record; null when the client had none. */
  secrets: string | null;
}

/** One removal of a client, as kept. */
export interface KeptRemoval {
  client: string;
  /** The removal's file stamp (sorts by time). */
  stamp: string;
  secretsPath: string | undefined;
  sealedPath: string | undefined;
  recordPath: string | undefined;
}

const KEPT_NAME = /^([a-z][a-z0-9-]*)\.(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.(secrets|secrets\.age|json)$/;

export function keptPaths(projectDir: string, client: string, stamp: string): { secrets: string; sealed: string; record: string } {
  const dir = statePaths.removed(projectDir);
  return {
    secrets: join(dir, `${client}.${stamp}.secrets`),
    sealed: join(dir, `${client}.${stamp}.secrets.age`),
    record: join(dir, `${client}.${stamp}.json`),
  };
}

/** Every removal kept in the project, newest first. */
export async function listRemovals(projectDir: string): Promise<KeptRemoval[]> {
  const dir = statePaths.removed(projectDir);
  const names = await readdirIfAny(dir);
  const removals = new Map<string, KeptRemoval>();
  for (const name of names) {
    const match = KEPT_NAME.exec(name);
    if (!match) continue;
    const [, client = '', stamp = '', kind] = match;
    const key = `${client}.${stamp}`;
    const entry = removals.get(key) ?? { client, stamp, secretsPath: undefined, sealedPath: undefined, recordPath: undefined };
    if (kind === 'secrets') entry.secretsPath = join(dir, name);
    else if (kind === 'secrets.age') entry.sealedPath = join(dir, name);
    else entry.recordPath = join(dir, name);
    removals.set(key, entry);
  }
  return [...removals.values()].sort((a, b) => (a.stamp === b.stamp ? a.client.localeCompare(b.client) : b.stamp.localeCompare(a.stamp)));
}

/** The newest removal of a client, if any was kept. */
export async function latestRemoval(projectDir: string, client: string): Promise<KeptRemoval | undefined> {
  return (await listRemovals(projectDir)).find((removal) => removal.client === client);
}

/** A kept file's bytes; a link in its place is refused (nothing in removed/ is ever a link mcp-fleet made). */
export async function readKeptFile(path: string): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw usageError(`${path} is a symbolic link; mcp-fleet never keeps one there`);
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw usageError(`${path} is not a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

export async function writeRecord(path: string, record: RemovalRecord): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, { mode: SECRETS_FILE_MODE });
}

const isString = (value: unknown): value is string => typeof value === 'string';

function isSection(value: unknown): value is RemovedSection {
  if (typeof value !== 'object' || value === null) return false;
  const section = value as Record<string, unknown>;
  const undo = section.undo as Record<string, unknown> | null | undefined;
  return (
    isString(section.source) &&
    isString(section.property) &&
    isString(section.afterSha256) &&
    typeof undo === 'object' &&
    undo !== null &&
    Number.isSafeInteger(undo.start) &&
    Number.isSafeInteger(undo.end) &&
    isString(undo.text) &&
    (undo.start as number) >= 0 &&
    (undo.end as number) >= (undo.start as number)
  );
}

/** Reads a removal record; one that is not what `remove` writes is bad input naming the file. */
export async function readRecord(path: string, client: string): Promise<RemovalRecord> {
  const bad = (why: string) =>
    usageError(
      `${path}: ${why}; it is not a removal record mcp-fleet wrote`,
      'Move it out of .mcp-fleet/removed/ to restore from the secrets file alone.',
    );
  let value: unknown;
  try {
    value = JSON.parse((await readKeptFile(path)).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw bad('not JSON');
    throw error;
  }
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const record = value as Record<string, unknown>;
  if (record.client !== client) throw bad(`its client is not ${client}`);
  if (!isString(record.worker) || !isString(record.removedAt)) throw bad('no worker or date');
  if (!(record.env === null || record.env === client)) throw bad(`its env is not ${client}`);
  if (!(record.secrets === null || isString(record.secrets))) throw bad('a bad "secrets"');
  if (record.env === null ? record.section !== null : !isSection(record.section)) throw bad('a bad "section"');
  return {
    client,
    removedAt: record.removedAt,
    worker: record.worker,
    env: record.env,
    section: record.section as RemovedSection | null,
    secrets: record.secrets as string | null,
  };
}
