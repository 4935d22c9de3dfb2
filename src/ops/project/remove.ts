import { constants } from 'node:fs';
import { chmod, lstat, open, readlink, rename, rm, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseConfigText, removeEnvSectionKeeping, writeConfigText } from '../../config/wrangler-config.js';
import { clientsHint, type Fleet, findClient } from '../../fleet/fleet.js';
import { SECRETS_FILE_MODE, sealedPathOf } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/files.js';
import { ensureStateDir, fileStamp, statePaths } from '../../util/state-dir.js';
import { keptPaths, type RemovalRecord, writeRecord } from './removed-store.js';

export interface RemoveResult {
  client: string;
  /** The worker it deployed (which remove itself leaves alone). */
  worker: string;
  /** Where the secrets file was kept (recoverable), or undefined when there was none. */
  secretsKeptAt: string | undefined;
  /** Where its sealed copy (`.secrets.<client>.age`) was kept, or undefined when it had none: commit its removal. */
  sealedKeptAt: string | undefined;
  /** The removal record (its worker and env section as written), from which `restore` brings it back. */
  recordKeptAt: string;
  /** When `.secrets.<client>` was a symbolic link: where it pointed (its content was kept, the link removed, its target left alone). */
  secretsLinkedTo: string | undefined;
  /** False for the top-level worker: its settings stay, only its secrets file is kept aside. */
  configChanged: boolean;
}

/** What is at a client's secrets path, read before anything changes. */
type SecretsAtPath = { kind: 'none' } | { kind: 'file' } | { kind: 'link'; target: string; bytes: Buffer };

/**
 * A link is kept by its content: the link itself may point into a synced folder or another project,
 * where the file can change or vanish, and then the only copy of the client's credentials is gone.
 * Its target is read (never written), and must be a regular file.
 */
async function secretsAt(path: string): Promise<SecretsAtPath> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) return { kind: 'none' };
  if (info.isFile()) return { kind: 'file' };
  if (!info.isSymbolicLink()) throw usageError(`${path} is not a regular file; nothing was changed`);
  const target = await readlink(path);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: a link to a FIFO must not hang the command.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ELOOP') throw error;
    throw usageError(
      `${path} is a symbolic link to ${target}, which does not exist: there are no secrets to keep; nothing was changed`,
      `Put the file back at ${target}, or delete the link if the client's secrets are gone for good; then run remove again.`,
    );
  }
  try {
    if (!(await handle.stat()).isFile())
      throw usageError(`${path} is a symbolic link to ${target}, which is not a regular file; nothing was changed`);
    return { kind: 'link', target, bytes: await handle.readFile() };
  } finally {
    await handle.close();
  }
}

/**
 * Offboards a client locally: its env section goes, its secrets file and the section as written
 * are kept in .mcp-fleet/removed/ (never deleted), from where `restore` brings them back. Its
 * worker is not touched here. A failure leaves every file as it was.
 */
export async function removeClient(fleet: Fleet, name: string): Promise<RemoveResult> {
  const client = findClient(fleet, name);
  if (!client) {
    throw usageError(`${name} is not a client (no env.${name} in ${fleet.configPath})`, clientsHint(fleet, [name]));
  }
  // The top-level worker stays in the config (it is the project's own); it stops being a client
  // when its secrets file goes.
  const edit = client.envName === undefined ? undefined : removeEnvSectionKeeping(fleet.configText, client.envName, fleet.configPath);
  if (edit) parseConfigText(edit.text, fleet.configPath);
  const secrets = await secretsAt(client.secretsPath);

  await ensureStateDir(fleet.dir, statePaths.removed(fleet.dir));
  const kept = keptPaths(fleet.dir, name, fileStamp());
  const record: RemovalRecord = {
    client: name,
    removedAt: new Date().toISOString(),
    worker: client.workerName,
    env: client.envName ?? null,
    section: edit?.removed ?? null,
    secrets: secrets.kind === 'none' ? null : basename(kept.secrets),
  };
  const sealed = sealedPathOf(client.secretsPath);
  const hasSealed = (await lstat(sealed).catch(() => undefined))?.isFile() === true;
  if (secrets.kind === 'file') await rename(client.secretsPath, kept.secrets);
  if (secrets.kind === 'link') await writeFileAtomic(kept.secrets, secrets.bytes, { mode: SECRETS_FILE_MODE });
  try {
    // The sealed copy goes aside too: a sealed file of no client is bad input to every later seal.
    if (hasSealed) await rename(sealed, kept.sealed);
    await writeRecord(kept.record, record);
    if (edit) await writeConfigText(fleet.configPath, edit.text);
  } catch (error) {
    if (secrets.kind === 'file') await rename(kept.secrets, client.secretsPath);
    if (secrets.kind === 'link') await rm(kept.secrets, { force: true });
    if (hasSealed) await rename(kept.sealed, sealed).catch(() => undefined);
    await rm(kept.record, { force: true });
    throw error;
  }
  // The kept copy is private whatever the file's mode was; a link goes, and what it pointed to stays as it is.
  if (secrets.kind === 'file') await chmod(kept.secrets, SECRETS_FILE_MODE);
  if (secrets.kind === 'link' && (await lstat(client.secretsPath)).isSymbolicLink()) await unlink(client.secretsPath);
  return {
    client: name,
    worker: client.workerName,
    secretsKeptAt: secrets.kind === 'none' ? undefined : kept.secrets,
    sealedKeptAt: hasSealed ? kept.sealed : undefined,
    recordKeptAt: kept.record,
    secretsLinkedTo: secrets.kind === 'link' ? secrets.target : undefined,
    configChanged: edit !== undefined,
  };
}
