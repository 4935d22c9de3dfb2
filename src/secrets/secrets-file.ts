import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../util/files.js';
import { ensureStateDir, fileStamp, statePaths } from '../util/state-dir.js';
import { entriesToMap, parseSecrets, updateSecretsText } from './dotfile.js';

export const SECRETS_FILE_MODE = 0o600;

export function secretsFileName(client: string): string {
  return `.secrets.${client}`;
}

export interface SecretsFile {
  path: string;
  text: string;
  values: Map<string, string>;
}

/** Reads and strictly parses a secrets file; undefined when it does not exist. */
export async function readSecretsFile(path: string, displayName = path): Promise<SecretsFile | undefined> {
  const text = await readFileIfExists(path);
  if (text === undefined) return undefined;
  return { path, text, values: entriesToMap(parseSecrets(text, displayName)) };
}

/** Writes secrets text atomically with mode 0600. */
export async function writeSecretsText(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { mode: SECRETS_FILE_MODE });
}

/** Sets values (null removes the key) in an existing secrets file, keeping its comments and other entries. */
export async function updateSecretsFile(
  file: SecretsFile,
  values: ReadonlyMap<string, string | null>,
  displayName = file.path,
): Promise<SecretsFile> {
  const text = updateSecretsText(file.text, displayName, values);
  await writeSecretsText(file.path, text);
  return { path: file.path, text, values: entriesToMap(parseSecrets(text, displayName)) };
}

/** Keeps a copy of a secrets file in `.mcp-fleet/backups/<client>/` (dir 0700, file 0600); returns its path. */
export async function backupSecretsFile(projectDir: string, client: string, path: string, reason: string): Promise<string> {
  const dir = await ensureStateDir(projectDir, statePaths.backups(projectDir, client));
  const target = join(dir, `${fileStamp()}.${reason}.secrets`);
  await writeFileAtomic(target, await readFile(path), { mode: SECRETS_FILE_MODE });
  return target;
}
