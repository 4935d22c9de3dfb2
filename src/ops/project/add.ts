import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { addEnvSection, parseConfigText, writeConfigText } from '../../config/wrangler-config.js';
import { API_KEY, datasetBoundBy, defaultWorkerProblem, type Fleet, findClient } from '../../fleet/fleet.js';
import { assertClientName, datasetName } from '../../fleet/names.js';
import { isValidKey, updateSecretsText } from '../../secrets/dotfile.js';
import { generateApiKey } from '../../secrets/generate.js';
import { ensureSecretsIgnored, refuseIfTracked } from '../../secrets/git-guard.js';
import { backupSecretsFile, readSecretsFile, secretsFileName, writeSecretsText } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { exists, readFileIfExists, sweepStaleTempFiles, writeFileAtomic } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { STATE_DIR_NAME } from '../../util/state-dir.js';
import { completeSection, envSectionFor } from './client-section.js';

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
  /** The client is the top-level worker (deployed without --env), not a new env section. */
  asDefault?: boolean;
  /** Refuse before writing anything when a required value is missing; names why (e.g. "--deploy"). */
  requireComplete?: string;
}

export interface AddResult {
  client: string;
  /** The top-level worker made a client (`--default`). */
  default: boolean;
  worker: string;
  /** null when the top-level worker binds no ANALYTICS dataset of its own (its metrics are then unavailable). */
  dataset: string | null;
  /** What was added to the config, as paths. */
  configAdded: string[];
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

/** The config edit that makes a client, and what it names. */
interface ClientConfigPlan {
  configText: string;
  worker: string;
  dataset: string | undefined;
  /** What was added to the config, as paths (e.g. "env.acme", "vars.CLIENT_ID"). */
  added: string[];
}

/** A new env.<client> section: its own worker, dataset and CLIENT_ID. */
function planEnvClient(fleet: Fleet, client: string): ClientConfigPlan {
  if (findClient(fleet, client)) throw usageError(`${client} is already a client (env.${client} in ${fleet.configPath})`);
  if (client === fleet.topLevelName)
    throw usageError(
      `${client} is the top-level worker's name in ${fleet.configPath}; pick another client name`,
      `If the top-level worker serves ${client} itself: ${commandLine('add', client, '--default')}`,
    );
  const taken = fleet.clients.find((other) => other.workerName === client);
  if (taken) throw usageError(`worker name ${client} is already used by env.${taken.name}`);
  const boundBy = datasetBoundBy(fleet, datasetName(client));
  if (boundBy)
    throw usageError(`dataset ${datasetName(client)} is already bound by ${boundBy} in ${fleet.configPath}; pick another client name`);
  const configText = addEnvSection(fleet.configText, client, envSectionFor(client), fleet.configPath);
  return { configText, worker: client, dataset: datasetName(client), added: [`env.${client}`] };
}

/**
 * The top-level worker made a client: it keeps its settings, and gets what every client's section
 * has when it lacks it (see client-section.ts). Its secrets file is what marks it.
 */
function planDefaultClient(fleet: Fleet, client: string): ClientConfigPlan {
  const { config, configPath } = fleet;
  if (client !== config.name) {
    throw usageError(
      `--default: ${client} is not the top-level worker's name in ${configPath} (${config.name === undefined ? 'it has none' : JSON.stringify(config.name)})`,
      config.name === undefined
        ? `Give the top level a "name" in ${configPath} first.`
        : `Run: ${commandLine('add', config.name, '--default')}`,
    );
  }
  const problem = defaultWorkerProblem(config);
  if (problem)
    throw usageError(`--default: the top-level worker cannot be a client: ${problem}`, `Fix it in ${configPath}; nothing was written.`);
  const { configText, added, dataset } = completeSection(fleet, fleet.configText, [], config, client);
  return { configText, worker: client, dataset, added };
}

export async function addClient(options: AddOptions): Promise<AddResult> {
  const { fleet, client } = options;
  assertClientName(client);
  // Everything that can fail on bad input is checked before the first write.
  const plan = options.asDefault ? planDefaultClient(fleet, client) : planEnvClient(fleet, client);
  parseConfigText(plan.configText, fleet.configPath);
  if (fleet.templateText === undefined) {
    throw usageError(
      `${fleet.templatePath} is missing: it lists the keys every client needs`,
      `Create it, or run: ${commandLine('init', '--adopt')}`,
    );
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
    if (plan.configText !== fleet.configText) await writeConfigText(fleet.configPath, plan.configText);
  } catch (error) {
    // A failed add leaves every file as it was.
    await restore(secretsPath, before.secrets, (text) => writeSecretsText(secretsPath, text));
    await restore(gitignorePath, before.gitignore, (text) => writeFileAtomic(gitignorePath, text));
    throw error;
  }
  return {
    client,
    default: Boolean(options.asDefault),
    worker: plan.worker,
    dataset: plan.dataset ?? null,
    configAdded: plan.added,
    secretsFile: secretsPath,
    sources,
    missing,
    backup,
  };
}
