import { realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { usageError } from '../../util/errors.js';
import type { WriteTarget } from './connect.js';
import type { HostFormat } from './host-types.js';

/** What each syntax's files are called; another config extension means the file is another host's. */
const EXTENSIONS: Readonly<Record<HostFormat['syntax'], readonly string[]>> = {
  json: ['.json', '.jsonc'],
  yaml: ['.yaml', '.yml'],
  toml: ['.toml'],
  form: [],
};
const CONFIG_EXTENSIONS = new Set(Object.values(EXTENSIONS).flat());

/**
 * `--write <path>`, decided and checked before any client is worked on: an existing directory (or
 * a new path without a config file's extension, or ending in `/`) gets one file per client; a
 * file, or a new path named like one, is merged into. An existing file must parse, and a file or
 * directory that will hold a key must not be one `git add` away from a commit.
 */
export async function resolveWriteTarget(
  raw: string,
  format: HostFormat,
  inlineKey: boolean,
  clients: readonly string[],
): Promise<WriteTarget> {
  if (raw.trim() === '') throw usageError('--write needs a file to merge into or a directory');
  if (format.fileName === null) {
    throw usageError(
      `--for ${format.host}: ${format.label} is set up in its UI, so --write has nothing to write`,
      'Leave --write out: the fields to enter are printed.',
    );
  }
  const kind = await kindOf(raw);
  const { refuseUnignoredKeyFile, refuseUnignoredWrite } = await import('./write-guard.js');
  if (kind === 'dir') {
    await refuseUnignoredWrite(
      raw,
      clients.map((client) => join(client, format.fileName as string)),
    );
    return { kind: 'dir', dir: raw };
  }
  const extension = extname(raw).toLowerCase();
  if (CONFIG_EXTENSIONS.has(extension) && !EXTENSIONS[format.syntax].includes(extension)) {
    throw usageError(
      `--write ${raw}: ${format.label} reads ${format.syntax.toUpperCase()} (${format.fileName}), not a ${extension} file`,
      `Check --for, or give ${format.label}'s own file.`,
    );
  }
  const { checkHostFile } = await import('./host-file.js');
  await checkHostFile(raw, format);
  if (inlineKey) await refuseUnignoredKeyFile(await realpath(raw).catch(() => raw));
  return { kind: 'file', path: raw };
}

async function kindOf(raw: string): Promise<'dir' | 'file'> {
  const info = await stat(raw).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw usageError(`--write ${raw}: cannot be read (${error.code ?? error.message})`);
  });
  if (info?.isDirectory()) return 'dir';
  if (info) return 'file';
  return !raw.endsWith('/') && CONFIG_EXTENSIONS.has(extname(raw).toLowerCase()) ? 'file' : 'dir';
}
