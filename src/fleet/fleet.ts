import { join } from 'node:path';
import { type ConfigFile, readConfig, type WranglerConfig, type WranglerEnv } from '../config/wrangler-config.js';
import { secretsFileName } from '../secrets/secrets-file.js';
import { templateKeys } from '../secrets/template.js';
import { usageError } from '../util/errors.js';
import { readFileIfExists } from '../util/files.js';
import { datasetName, envNameProblem, workerNameProblem } from './names.js';

export const TEMPLATE_FILE = '.secrets.template';

/** The key mcp-fleet generates for every client: the bearer key of its worker's /mcp endpoint. */
export const API_KEY = 'API_KEY';

/** The key before the last rotation, which the worker still accepts during a grace period. */
export const PREVIOUS_API_KEY = 'API_KEY_PREVIOUS';

/** One client of the fleet: one wrangler env, one worker, one secrets file. */
export interface Client {
  name: string;
  /** The worker's name (env.<client>.name; by convention the client's name). */
  workerName: string;
  /** The ANALYTICS dataset bound in the env, if any. */
  dataset: string | undefined;
  /** Absolute path of `.secrets.<client>`. */
  secretsPath: string;
  /** Routes or custom domains of the env, when it has them (then the worker's URL is not workers.dev). */
  routes: string[];
  env: WranglerEnv;
}

/** A loaded fleet project. */
export interface Fleet {
  dir: string;
  configPath: string;
  configText: string;
  config: WranglerConfig;
  /** The top-level worker name (never a client name). */
  topLevelName: string | undefined;
  accountId: string | undefined;
  clients: Client[];
  /** Keys every client must have, from `.secrets.template` (empty when there is no template). */
  requiredKeys: string[];
  templatePath: string;
  templateText: string | undefined;
}

function routePatterns(env: WranglerEnv): string[] {
  const raw = [...(Array.isArray(env.routes) ? env.routes : []), ...(env.route === undefined ? [] : [env.route])];
  return raw
    .map((route) =>
      typeof route === 'string' ? route : typeof route === 'object' && route !== null && 'pattern' in route ? String(route.pattern) : '',
    )
    .filter((pattern) => pattern !== '');
}

export function clientFromEnv(dir: string, name: string, env: WranglerEnv): Client {
  const analytics = env.analytics_engine_datasets?.find((binding) => binding.binding === 'ANALYTICS');
  return {
    name,
    workerName: typeof env.name === 'string' && env.name !== '' ? env.name : name,
    dataset: analytics?.dataset ?? undefined,
    secretsPath: join(dir, secretsFileName(name)),
    routes: routePatterns(env),
    env,
  };
}

/**
 * Every env is a client, and its name becomes file names (`.secrets.<name>`, backups) and URLs,
 * as its worker name becomes URLs and API paths: a name that could point anywhere else stops
 * every command before anything is read or sent.
 */
function checkClientNames(file: ConfigFile): void {
  const hint = `Rename or remove that env section in ${file.path}; mcp-fleet changed nothing.`;
  for (const { name, at } of file.envKeys) {
    const problem = envNameProblem(name);
    if (problem) throw usageError(`${at}: env ${JSON.stringify(name)} ${problem}`, hint);
  }
  for (const [name, env] of Object.entries(file.config.env ?? {})) {
    const problem = typeof env.name === 'string' && env.name !== '' ? workerNameProblem(env.name) : undefined;
    if (problem) throw usageError(`${file.positionOf(['env', name, 'name'])}: worker name ${JSON.stringify(env.name)} ${problem}`, hint);
  }
}

export async function loadFleet(dir: string): Promise<Fleet> {
  const file = await readConfig(dir);
  checkClientNames(file);
  const { path, text, config } = file;
  const templatePath = join(dir, TEMPLATE_FILE);
  const templateText = await readFileIfExists(templatePath);
  const envs = config.env ?? {};
  return {
    dir,
    configPath: path,
    configText: text,
    config,
    topLevelName: typeof config.name === 'string' ? config.name : undefined,
    accountId: typeof config.account_id === 'string' ? config.account_id : undefined,
    clients: Object.entries(envs).map(([name, env]) => clientFromEnv(dir, name, env)),
    requiredKeys: templateText === undefined ? [] : templateKeys(templateText, templatePath),
    templatePath,
    templateText,
  };
}

/** Where an Analytics Engine dataset is bound already ("the top-level worker" or "env.<client>"), if anywhere. */
export function datasetBoundBy(fleet: Fleet, dataset: string): string | undefined {
  const binds = (section: Pick<WranglerEnv, 'analytics_engine_datasets'>) =>
    section.analytics_engine_datasets?.some((binding) => binding.dataset === dataset) ?? false;
  if (binds(fleet.config)) return 'the top-level worker';
  const owner = Object.entries(fleet.config.env ?? {}).find(([, env]) => binds(env));
  return owner ? `env.${owner[0]}` : undefined;
}

export function findClient(fleet: Fleet, name: string): Client | undefined {
  return fleet.clients.find((client) => client.name === name);
}

/** The clients a fleet command acts on: named ones (each must exist) or, with --all, every one. */
export function selectClients(fleet: Fleet, names: readonly string[], all: boolean): Client[] {
  if (all && names.length > 0) throw usageError('give client names or --all, not both');
  if (all) {
    if (fleet.clients.length === 0) throw usageError(`${fleet.configPath} has no clients yet`, 'Add one with: mcp-fleet add <client>');
    return fleet.clients;
  }
  if (names.length === 0) throw usageError('name at least one client, or pass --all');
  const unknown = names.filter((name) => !findClient(fleet, name));
  if (unknown.length > 0) {
    const known = fleet.clients.map((client) => client.name).join(', ') || 'none';
    throw usageError(
      `unknown client${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (not an env in ${fleet.configPath})`,
      `Clients: ${known}`,
    );
  }
  return [...new Set(names)].map((name) => findClient(fleet, name) as Client);
}

export { datasetName };
