import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { accessError } from './errors.js';
import { isAlive } from './process-alive.js';

export interface WriteOptions {
  /** File mode; secrets files use 0o600. Default: the mode of the file being replaced, else 0o644. */
  mode?: number;
}

/**
 * Every temp file of an atomic write ends in this, so one ignore rule (`*.mcp-fleet-tmp`) keeps
 * them out of git: a write killed before its rename leaves the whole new content behind, and for a
 * secrets file that is every value in it.
 */
export const TEMP_SUFFIX = '.mcp-fleet-tmp';

/** `<dir>/.<name>.<pid>-<random>.mcp-fleet-tmp`; the writer's pid lets a later run tell a dead writer's leftover from a live one's. */
export function tempPathFor(path: string): string {
  const name = basename(path);
  return join(dirname(path), `${name.startsWith('.') ? '' : '.'}${name}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

const TEMP_NAME = /^\..+\.(\d+)-[0-9a-f]{12}\.mcp-fleet-tmp$/;
/** What versions before TEMP_SUFFIX left: `.<name>.<random>.tmp`, with no pid to ask. */
const LEGACY_TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;
/** A legacy temp file this old cannot belong to a write still under way (a write takes milliseconds). */
const LEGACY_STALE_MS = 60_000;

/**
 * Writes a file atomically: a temp file in the same directory (so the rename stays on one
 * filesystem), fsync, rename. A reader sees the old content or the new, never a torn file; a
 * failure leaves the old file. A crash before the rename leaves the temp file: see sweepStaleTempFiles.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  // Replacing a file must not change who may read it (a .gitignore the user made 0664 stays so).
  const mode =
    options.mode ??
    (await stat(path).then(
      (info) => info.mode & 0o777,
      () => 0o644,
    ));
  const tmp = tempPathFor(path);
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    // The umask may have narrowed or widened nothing, but make the mode exact.
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Removes the temp files that killed writers left in `dir` (not recursive): ours whose writer's
 * pid is gone, and legacy ones older than a minute. A live writer's temp file is never touched.
 * Returns the names removed. A directory that does not exist has nothing to sweep.
 */
export async function sweepStaleTempFiles(dir: string, now: number = Date.now()): Promise<string[]> {
  const names = await readdirIfAny(dir);
  const removed: string[] = [];
  for (const name of names) {
    const ours = TEMP_NAME.exec(name);
    let stale: boolean;
    if (ours) {
      stale = !isAlive(Number(ours[1]));
    } else if (LEGACY_TEMP_NAME.test(name)) {
      const info = await lstat(join(dir, name)).catch(() => undefined);
      stale = info?.isFile() === true && now - info.mtimeMs > LEGACY_STALE_MS;
    } else {
      continue;
    }
    if (!stale) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** A file's text, or undefined when it does not exist (one this user may not read is exit 2; any other error is thrown). */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw accessError(error, path, 'read') ?? error;
  }
}

/** The names in `dir`, or none when it does not exist (other errors, such as EACCES, still throw). */
export async function readdirIfAny(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
