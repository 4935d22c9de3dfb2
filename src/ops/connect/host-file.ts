import { chmod, lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FleetError, usageError } from '../../util/errors.js';
import { readFileIfExists, writeFileAtomic } from '../../util/files.js';
import { documentText } from './host-configs.js';
import type { HostFormat, HostServer } from './host-types.js';
import type { EntryChange, MergeOutcome, MergeRequest } from './merge-config.js';
import { mergeJson } from './merge-json.js';
import { mergeToml } from './merge-toml.js';
import { mergeYaml } from './merge-yaml.js';

/**
 * `connect --write <file>`: this fleet's entries merged into a host's configuration file, which
 * may hold other servers and settings. Nothing is written until every check has passed; then the
 * file is replaced atomically (a temp file beside it, renamed over it), keeping its mode, or 0600
 * when it holds a key. A symlinked file is written through the link, which stays.
 */

export interface HostFileResult {
  /** The file as given. */
  path: string;
  mode: number;
  changes: Map<string, EntryChange>;
  /** False when every entry was already as it should be: the file was not touched. */
  written: boolean;
}

/** The merge for the format's syntax (pure). */
export function mergeHostText(request: MergeRequest): MergeOutcome {
  const syntax = request.format.syntax;
  if (syntax === 'json') return mergeJson(request);
  if (syntax === 'yaml') return mergeYaml(request);
  if (syntax === 'toml') return mergeToml(request);
  throw new Error(`${request.format.host} has no file to merge into`);
}

interface HostFile {
  /** Where the bytes are: the file, or the target of the symlink it is. */
  real: string;
  text: string | undefined;
  mode: number | undefined;
}

async function readHostFile(path: string): Promise<HostFile> {
  const link = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw unreadable(path, error);
  });
  if (!link) return { real: path, text: undefined, mode: undefined };
  const real = link.isSymbolicLink()
    ? await realpath(path).catch(() => {
        throw usageError(
          `--write ${path}: a symlink to a file that does not exist`,
          'Point it at the host configuration, or give the file itself.',
        );
      })
    : path;
  const info = await stat(real);
  if (!info.isFile()) throw usageError(`--write ${path}: not a regular file`);
  const text = await readFile(real, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw unreadable(path, error);
  });
  return { real, text, mode: info.mode & 0o777 };
}

function unreadable(path: string, error: NodeJS.ErrnoException): FleetError {
  return usageError(`--write ${path}: cannot be read (${error.code ?? error.message})`, 'Give a file you can read and write.');
}

/** A host with no file of its own (json): a new file gets the document; an existing one is not someone's host config to merge into. */
function wholeDocument(path: string, file: HostFile, format: HostFormat, servers: readonly HostServer[]): MergeOutcome {
  if (file.text !== undefined) {
    throw usageError(
      `--write ${path}: the file exists, and ${format.host} is no host's file to merge into`,
      'Give a new file or a directory.',
    );
  }
  return { text: documentText(format, servers), changes: new Map(servers.map((server) => [server.name, 'added'])) };
}

/** Checks that an existing file parses as the host's format (exit 2 naming its line), before any client is worked on. */
export async function checkHostFile(path: string, format: HostFormat): Promise<void> {
  const file = await readHostFile(path);
  if (format.section === null) wholeDocument(path, file, format, []);
  else mergeHostText({ path, text: file.text, format, servers: [] });
}

export async function writeHostFile(
  path: string,
  format: HostFormat,
  servers: readonly HostServer[],
  keyEmbedded: boolean,
): Promise<HostFileResult> {
  const file = await readHostFile(path);
  const merged = mergeHostText({ path, text: file.text, format, servers });
  const mode = keyEmbedded ? 0o600 : (file.mode ?? 0o644);
  if (file.text !== undefined && merged.text === file.text) {
    // Already as it should be; a file holding a key is private all the same.
    if (keyEmbedded && file.mode !== 0o600) await chmod(file.real, 0o600);
    return { path, mode, changes: merged.changes, written: false };
  }
  if (file.text === undefined) await mkdir(dirname(file.real), { recursive: true, mode: keyEmbedded ? 0o700 : 0o755 });
  // Another program (the host itself) may have saved the file meanwhile: never write over that.
  if ((await readFileIfExists(file.real)) !== file.text) {
    throw new FleetError(`${path} changed while mcp-fleet was merging into it; nothing was written`, { hint: 'Run the command again.' });
  }
  await writeFileAtomic(file.real, merged.text, { mode });
  return { path, mode, changes: merged.changes, written: true };
}
