import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { addEnvSection, parseConfigText, type WranglerEnv, writeConfigText } from '../config/wrangler-config.js';
import { API_KEY, datasetBoundBy, type Fleet, findClient } from '../fleet/fleet.js';
import { assertClientName, datasetName } from '../fleet/names.js';
import { isValidKey, updateSecretsText } from '../secrets/dotfile.js';
import { generateApiKey } from '../secrets/generate.js';
import { ensureSecretsIgnored, refuseIfTracked } from '../secrets/git-guard.js';
import { backupSecretsFile, readSecretsFile, secretsFileName, writeSecretsText } from '../secrets/secrets-file.js';
import { usageError } from '../util/errors.js';
import { exists, readFileIfExists, sweepStaleTempFiles, writeFileAtomic } from '../util/files.js';
import { STATE_DIR_NAME } from '../util/state-dir.js';

export interface AddOptions {
  fleet: Fleet;
  client: string;
  /** Values from --set KEY=VALUE. */
  set: ReadonlyMap<string, string>;
  /** Take values from the environment (--from-env). */
  fromEnv: boolean;
  env: NodeJS.ProcessEnv;
  /** Asks a person for a value; absent when nobody is at a TTY or --yes was given. */
  ask?: (key: string) => Promise<string | undefined>;
  /** Replace an existing secrets file (a backup is kept). */
  force: boolean;
  /** Refuse before writing anything when a required value is missing; names why (e.g. "--deploy"). */
  requireComplete?: string;
}

export interface AddResult {
  client: string;
  worker: string;
  dataset: string;
  secretsFile: string;
  /** Where each key's value came from; never the values. */
  sources: Record<string, 'generated' | 'flag' | 'env' | 'prompt' | 'missing'>;
  missing: string[];
  backup: string | undefined;
}

/**
 * Parses repeatable `--set KEY=VALUE` flags; a malformed one is bad usage naming the flag but never
 * repeating what was given: a `--set` without "=" is most likely a bare value.
 */
export function parseSetFlags(flags: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const key = flag.slice(0, Math.max(eq, 0));
    const hint = 'Prefer --from-env: a value on the command line is visible to other processes and lands in shell history.';
    if (eq === -1) throw usageError(`--set: expected KEY=VALUE, found no "=" (what was given is not shown: it may be a value)`, hint);
    if (!isValidKey(key)) {
      throw usageError(
        `--set: the text before "=" is not a valid key (letters, digits and _, not starting with a digit); it is not shown: it may be a value`,
        hint,
      );
    }
    if (values.has(key)) throw usageError(`--set ${key} is given twice`);
    values.set(key, flag.slice(eq + 1));
  }
  return values;
}

async function restore(path: string, previous: string | undefined, write: (text: string) => Promise<void>): Promise<void> {
  if (previous === undefined) await rm(path, { force: true });
  else await write(previous);
}

export function envSectionFor(client: string): WranglerEnv {
  return {
    name: client,
    analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: datasetName(client) }],
    vars: { CLIENT_ID: client },
  };
}

export async function addClient(options: AddOptions): Promise<AddResult> {
  const { fleet, client } = options;
  assertClientName(client);
  if (findClient(fleet, client)) throw usageError(`${client} is already a client (env.${client} in ${fleet.configPath})`);
  if (client === fleet.topLevelName)
    throw usageError(`${client} is the top-level worker's name in ${fleet.configPath}; pick another client name`);
  const taken = fleet.clients.find((other) => other.workerName === client);
  if (taken) throw usageError(`worker name ${client} is already used by env.${taken.name}`);
  const boundBy = datasetBoundBy(fleet, datasetName(client));
  if (boundBy)
    throw usageError(`dataset ${datasetName(client)} is already bound by ${boundBy} in ${fleet.configPath}; pick another client name`);
  if (fleet.templateText === undefined) {
    throw usageError(`${fleet.templatePath} is missing: it lists the keys every client needs`, 'Create it, or run: mcp-fleet init --adopt');
  }
  const required = fleet.requiredKeys;
  const unknown = [...options.set.keys()].filter((key) => !required.includes(key));
  if (unknown.length > 0) {
    throw usageError(`--set ${unknown.join(', ')}: not in ${fleet.templatePath}`, `Keys of the template: ${required.join(', ') || 'none'}`);
  }

  const secretsPath = join(fleet.dir, secretsFileName(client));
  const existing = await exists(secretsPath);
  if (existing && !options.force) {
    throw usageError(
      `${secretsPath} already exists; it was left as it is`,
      'Pass --force to replace it (a backup is kept in .mcp-fleet/backups/).',
    );
  }
  await refuseIfTracked(fleet.dir, secretsPath);
  if (existing) await readSecretsFile(secretsPath); // a malformed file is reported rather than silently replaced

  // Everything that can fail on bad input is checked before the first write.
  const configText = addEnvSection(fleet.configText, client, envSectionFor(client), fleet.configPath);
  parseConfigText(configText, fleet.configPath);

  const values = new Map<string, string>();
  const sources: AddResult['sources'] = {};
  for (const key of required) {
    const fromFlag = options.set.get(key);
    const fromEnv = options.fromEnv ? options.env[key] : undefined;
    if (fromFlag !== undefined) {
      values.set(key, fromFlag);
      sources[key] = 'flag';
    } else if (key === API_KEY) {
      values.set(key, generateApiKey());
      sources[key] = 'generated';
    } else if (fromEnv !== undefined && fromEnv !== '') {
      values.set(key, fromEnv);
      sources[key] = 'env';
    } else {
      const asked = options.ask ? await options.ask(key) : undefined;
      values.set(key, asked ?? '');
      sources[key] = asked === undefined ? 'missing' : 'prompt';
    }
  }

  const missing = required.filter((key) => sources[key] === 'missing');
  if (options.requireComplete && missing.length > 0) {
    throw usageError(
      `${options.requireComplete} needs every key of ${basename(fleet.templatePath)}; no value for ${missing.join(', ')}; nothing was written`,
      'Give the values (--from-env, or at a terminal when asked), or add without --deploy and fill them in later.',
    );
  }

  // Temp files of a write killed earlier hold a copy of what it wrote; nothing else will remove them.
  await sweepStaleTempFiles(fleet.dir);
  const backup = existing ? await backupSecretsFile(fleet.dir, client, secretsPath, 'replaced') : undefined;
  const gitignorePath = join(fleet.dir, '.gitignore');
  const before = { gitignore: await readFileIfExists(gitignorePath), secrets: await readFileIfExists(secretsPath) };
  try {
    await ensureSecretsIgnored(fleet.dir, [`${STATE_DIR_NAME}/`]);
    await writeSecretsText(secretsPath, updateSecretsText(fleet.templateText, fleet.templatePath, values));
    await writeConfigText(fleet.configPath, configText);
  } catch (error) {
    // A failed add leaves every file as it was.
    await restore(secretsPath, before.secrets, (text) => writeSecretsText(secretsPath, text));
    await restore(gitignorePath, before.gitignore, (text) => writeFileAtomic(gitignorePath, text));
    throw error;
  }
  return {
    client,
    worker: client,
    dataset: datasetName(client),
    secretsFile: secretsPath,
    sources,
    missing,
    backup,
  };
}
