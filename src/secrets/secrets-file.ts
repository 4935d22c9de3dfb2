import { constants } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { accessError, usageError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';
import { ensureStateDir, fileStamp, statePaths } from '../util/state-dir.js';
import { warnOnce } from '../util/warnings.js';
import { decodeSecretsBytes, entriesToMap, parseSecrets, type SecretsEntry, updateSecretsText } from './dotfile.js';
import { sealText, unsealBytes } from './sealed/age.js';
import { requireIdentities } from './sealed/identity.js';
import { requireRecipients } from './sealed/recipients.js';

export const SECRETS_FILE_MODE = 0o600;

export function secretsFileName(client: string): string {
  return `.secrets.${client}`;
}

/** The sealed copy of a secrets file (`secrets seal`): committed, encrypted to the team's recipients. */
export const SEALED_SUFFIX = '.age';

export function sealedPathOf(path: string): string {
  return `${path}${SEALED_SUFFIX}`;
}

export interface SecretsFile {
  path: string;
  text: string;
  values: Map<string, string>;
  /** The 1-based line each key starts on, for messages that must name the line and never the value. */
  lines: Map<string, number>;
  /** Permission bits as found (before any tightening). */
  mode: number;
  /** Set when group or others could read the file and it was made 0600: the mode it had. */
  tightenedFrom?: number;
  /** Set when the values were read from the sealed copy (no plain file): writes go to it alone. */
  sealedPath?: string;
}

export interface ReadSecretsOptions {
  /** How the file is named in messages (default: its path). */
  displayName?: string;
}

function symlinkRefused(displayName: string): Error {
  return usageError(
    `${displayName} is a symbolic link; mcp-fleet reads and writes secrets files only as regular files`,
    `A link can point anywhere (another project, a synced folder), and an atomic write would replace it with a plain file. Put the file itself at ${displayName} (mode 0600) instead of the link.`,
  );
}

/**
 * Reads and strictly parses a secrets file; undefined when it does not exist. The one place a
 * secrets file is read, so every command treats it alike:
 * - a symbolic link is refused (exit 2) rather than followed: opened with O_NOFOLLOW, so a link
 *   swapped in between a check and the read is refused too;
 * - a file group or others can read is made 0600 before anything else (a malformed one too), and
 *   the user is warned once per file on stderr (util/warnings.ts);
 * - bytes that are not UTF-8 are refused naming the line, never transcoded.
 */
export async function readSecretsFile(path: string, options: ReadSecretsOptions = {}): Promise<SecretsFile | undefined> {
  const { displayName = path } = options;
  if (path.endsWith(SEALED_SUFFIX)) return readSealedFile(path.slice(0, -SEALED_SUFFIX.length), path, displayName);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A dangling link is still a link: say so instead of "does not exist".
      if ((await lstat(path).catch(() => undefined))?.isSymbolicLink()) throw symlinkRefused(displayName);
      // No plain file: the sealed copy, opened in memory (in CI nothing decrypted touches the disk).
      return readSealedFile(path, sealedPathOf(path), `${displayName}${SEALED_SUFFIX}`);
    }
    if (code === 'ELOOP') throw symlinkRefused(displayName);
    throw accessError(error, displayName, 'read') ?? error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw usageError(`${displayName} is not a regular file`);
    const mode = info.mode & 0o777;
    const tightenedFrom = await tighten(handle, mode, path, options.displayName ?? basename(path));
    const text = decodeSecretsBytes(await handle.readFile(), displayName);
    const entries = parseSecrets(text, displayName);
    const file: SecretsFile = { path, text, values: entriesToMap(entries), lines: linesOf(entries), mode };
    if (tightenedFrom !== undefined) file.tightenedFrom = tightenedFrom;
    return file;
  } finally {
    await handle.close();
  }
}

/** Reads the raw bytes of a regular file (never through a link); undefined when it does not exist. */
async function readRegular(path: string, displayName: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw symlinkRefused(displayName);
    throw accessError(error, displayName, 'read') ?? error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw usageError(`${displayName} is not a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A sealed secrets file, decrypted in memory with the configured identity; `path` stays the plain file's. */
async function readSealedFile(path: string, sealedPath: string, displayName: string): Promise<SecretsFile | undefined> {
  const bytes = await readRegular(sealedPath, displayName);
  if (bytes === undefined) return undefined;
  const { identities, source } = await requireIdentities(displayName);
  // The plaintext's bytes go through the same UTF-8 check as a plain file's.
  const text = decodeSecretsBytes(await unsealBytes(bytes.toString('utf8'), identities, displayName, source), displayName);
  const entries = parseSecrets(text, displayName);
  return { path, text, values: entriesToMap(entries), lines: linesOf(entries), mode: SECRETS_FILE_MODE, sealedPath };
}

/** Seals secrets text to the project's recipients (the project is the file's directory) and writes it atomically. */
export async function writeSealedText(sealedPath: string, text: string): Promise<void> {
  const recipients = await requireRecipients(dirname(sealedPath));
  const sealed = await sealText(
    text,
    recipients.map((entry) => entry.recipient),
  );
  if ((await lstat(sealedPath).catch(() => undefined))?.isSymbolicLink()) throw symlinkRefused(basename(sealedPath));
  // Encrypted: readable like any committed file.
  await writeFileAtomic(sealedPath, sealed, { mode: 0o644 });
}

/** Makes a file others can read private (fchmod on the open descriptor: the file checked is the file changed); the mode it had, when it did. */
async function tighten(handle: FileHandle, mode: number, path: string, displayName: string): Promise<number | undefined> {
  if ((mode & 0o077) === 0) return undefined;
  const was = mode.toString(8).padStart(4, '0');
  try {
    await handle.chmod(SECRETS_FILE_MODE);
  } catch (error) {
    // A file of another user's cannot be changed by this one; it is still read, and the user still told.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    warnOnce(
      path,
      `${displayName} is readable by other users (mode ${was}) and is not yours to make private: ask its owner to run chmod 600 on it, and consider rotating its values.`,
    );
    return undefined;
  }
  warnOnce(path, tightenedText(displayName, mode));
  return mode;
}

function tightenedText(displayName: string, mode: number): string {
  return `${displayName} was readable by other users (mode ${mode.toString(8).padStart(4, '0')}); it is now 0600 (owner only). Anyone who could read it may have its values: consider rotating them.`;
}

function linesOf(entries: readonly SecretsEntry[]): Map<string, number> {
  return new Map(entries.map((entry) => [entry.key, entry.line]));
}

/** The warning readSecretsFile gave when it made a file private; undefined when it did not. */
export function tightenedWarning(file: SecretsFile, displayName = basename(file.path)): string | undefined {
  return file.tightenedFrom === undefined ? undefined : tightenedText(displayName, file.tightenedFrom);
}

/** Writes secrets text atomically with mode 0600; a symbolic link in its place is refused, not replaced. */
export async function writeSecretsText(path: string, text: string, displayName = path): Promise<void> {
  if ((await lstat(path).catch(() => undefined))?.isSymbolicLink()) throw symlinkRefused(displayName);
  await writeFileAtomic(path, text, { mode: SECRETS_FILE_MODE });
}

/** Sets values (null removes the key) in an existing secrets file, keeping its comments, line endings and other entries. */
export async function updateSecretsFile(
  file: SecretsFile,
  values: ReadonlyMap<string, string | null>,
  displayName = file.path,
): Promise<SecretsFile> {
  const text = updateSecretsText(file.text, displayName, values);
  const sealedPath = sealedPathOf(file.path);
  // Read from the sealed copy: it alone is written. A plain file with a sealed copy: both, in one
  // step, so a committed sealed file never falls behind a rotation (the plain file is the newer).
  if (file.sealedPath === undefined) await writeSecretsText(file.path, text, displayName);
  if (file.sealedPath !== undefined || (await lstat(sealedPath).catch(() => undefined)) !== undefined)
    await writeSealedText(sealedPath, text);
  const entries = parseSecrets(text, displayName);
  return {
    path: file.path,
    text,
    values: entriesToMap(entries),
    lines: linesOf(entries),
    mode: SECRETS_FILE_MODE,
    ...(file.sealedPath === undefined ? {} : { sealedPath: file.sealedPath }),
  };
}

/** Keeps a copy of a secrets file in `.mcp-fleet/backups/<client>/` (dir 0700, file 0600); returns its path. */
export async function backupSecretsFile(projectDir: string, client: string, path: string, reason: string): Promise<string> {
  const dir = await ensureStateDir(projectDir, statePaths.backups(projectDir, client));
  // Only a sealed copy: the backup is the sealed bytes, so nothing decrypted touches the disk.
  if ((await lstat(path).catch(() => undefined)) === undefined && (await lstat(sealedPathOf(path)).catch(() => undefined))) {
    const target = join(dir, `${fileStamp()}.${reason}.secrets${SEALED_SUFFIX}`);
    await writeFileAtomic(target, (await readRegular(sealedPathOf(path), basename(sealedPathOf(path)))) as Buffer, {
      mode: SECRETS_FILE_MODE,
    });
    return target;
  }
  const target = join(dir, `${fileStamp()}.${reason}.secrets`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(basename(path));
    throw accessError(error, path, 'read') ?? error;
  }
  const bytes = await handle.readFile().finally(() => handle.close());
  await writeFileAtomic(target, bytes, { mode: SECRETS_FILE_MODE });
  return target;
}
