import { homedir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../../util/errors.js';
import { readFileIfExists } from '../../util/files.js';
import { identityProblem } from './age.js';

/**
 * Where the identity that opens sealed files comes from, first found wins:
 * 1. MCP_FLEET_AGE_IDENTITY: the identity itself (`AGE-SECRET-KEY-1…`, or a whole key file's text),
 *    for CI, where it comes from the repository's secrets and never touches the disk;
 * 2. MCP_FLEET_AGE_IDENTITY_FILE: a path to an age key file;
 * 3. the user's own key file, `$XDG_CONFIG_HOME/mcp-fleet/age-identity.txt` (`~/.config/…`),
 *    which `mcp-fleet recipients keygen` writes by default.
 */

export const IDENTITY_ENV = 'MCP_FLEET_AGE_IDENTITY';
export const IDENTITY_FILE_ENV = 'MCP_FLEET_AGE_IDENTITY_FILE';

export interface Identities {
  identities: string[];
  /** Where they came from, for messages: the variable's or the file's name, never a value. */
  source: string;
}

export function defaultIdentityPath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(config, 'mcp-fleet', 'age-identity.txt');
}

/** The identities in a key file's text (comments and blank lines skipped); malformed lines name source and line. */
export function parseIdentities(text: string, source: string): string[] {
  const identities: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const problem = identityProblem(line);
    if (problem !== undefined)
      throw usageError(
        `${source}${source.includes(' ') ? ',' : ':'} line ${index + 1} is not an age identity (${problem})`,
        'An identity is one line starting with AGE-SECRET-KEY-1, as `mcp-fleet recipients keygen` writes it.',
      );
    identities.push(line);
  }
  if (identities.length === 0)
    throw usageError(`${source} holds no age identity`, 'An identity is one line starting with AGE-SECRET-KEY-1.');
  return identities;
}

let cached: Promise<Identities | undefined> | undefined;

/** The identities this process opens sealed files with (read once); undefined when none is configured. */
export function loadIdentities(env: NodeJS.ProcessEnv = process.env): Promise<Identities | undefined> {
  cached ??= readIdentities(env);
  return cached;
}

async function readIdentities(env: NodeJS.ProcessEnv): Promise<Identities | undefined> {
  const inline = env[IDENTITY_ENV];
  if (inline !== undefined && inline.trim() !== '') {
    const source = `the ${IDENTITY_ENV} environment variable`;
    return { identities: parseIdentities(inline, source), source };
  }
  const named = env[IDENTITY_FILE_ENV];
  const path = named && named.trim() !== '' ? named : defaultIdentityPath(env);
  const text = await readFileIfExists(path);
  if (text === undefined) {
    if (named && named.trim() !== '') throw usageError(`${IDENTITY_FILE_ENV} names ${path}, which does not exist`);
    return undefined;
  }
  return { identities: parseIdentities(text, path), source: path };
}

/** The identities, or exit 2 saying which one is missing and how to give it. */
export async function requireIdentities(sealedFile: string): Promise<Identities> {
  const found = await loadIdentities();
  if (found) return found;
  throw usageError(
    `${sealedFile} is sealed, and no age identity is set to open it: set ${IDENTITY_ENV} (the identity itself), ${IDENTITY_FILE_ENV} (a key file), or put your key in ${defaultIdentityPath()}`,
    'In CI, put the identity in a repository secret and pass it as MCP_FLEET_AGE_IDENTITY. Without a key of your own: mcp-fleet recipients keygen, then ask a teammate to add your age1… key and re-seal.',
  );
}
