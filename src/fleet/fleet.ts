import { join } from 'node:path';
import { type ConfigFile, readConfig, type WranglerConfig, type WranglerEnv } from '../config/wrangler-config.js';
import { secretsFileName } from '../secrets/secrets-file.js';
import { templateKeys } from '../secrets/template.js';
import { usageError } from '../util/errors.js';
import { exists, readFileIfExists } from '../util/files.js';
import { commandLine } from '../util/next-step.js';
import { closestWords, didYouMean, orList } from '../util/suggest.js';
import { datasetName, envNameProblem, workerNameProblem } from './names.js';
import { envWorkerName, sharedWorkerProblem } from './shared-workers.js';

export const TEMPLATE_FILE = '.secrets.template';

/** The key mcp-fleet generates for every client: the bearer key of its worker's /mcp endpoint. */
export const API_KEY = 'API_KEY';

/** The key before the last rotation, which the worker still accepts during a grace period. */
export const PREVIOUS_API_KEY = 'API_KEY_PREVIOUS';

/**
 * One client of the fleet: one worker, one secrets file, and usually one wrangler env. The
 * top-level (default) worker is a client too when it has a secrets file of its own name: a
 * project laid out before it had a fleet often serves its first customer from there.
 */
export interface Client {
  name: string;
  /** The wrangler env (`--env`) that deploys it; undefined for the top-level worker, deployed without one. */
  envName: string | undefined;
  /** The worker's name (env.<client>.name, or the top-level name; by convention the client's name). */
  workerName: string;
  /** The ANALYTICS dataset bound in the env, if any. */
  dataset: string | undefined;
  /** Absolute path of `.secrets.<client>`. */
  secretsPath: string;
  /** Routes or custom domains of the env, when it has them (then the worker's URL is not workers.dev). */
  routes: string[];
  /** Its section of the config: env.<client>, or the top level (without `env`) for the default worker. */
  env: WranglerEnv;
}

/** A loaded fleet project. */
export interface Fleet {
  dir: string;
  configPath: string;
  configText: string;
  config: WranglerConfig;
  /** The top-level worker name (a client's only when that worker is the default client). */
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
    envName: name,
    workerName: envWorkerName(name, env),
    dataset: analytics?.dataset ?? undefined,
    secretsPath: join(dir, secretsFileName(name)),
    routes: routePatterns(env),
    env,
  };
}

/**
 * Every env is a client, and its name becomes file names (`.secrets.<name>`, backups) and URLs,
 * as its worker name becomes URLs and API paths: a name that could point anywhere else, or a
 * worker another env deploys too, stops every command before anything is read or sent.
 */
export function checkClientNames(file: Pick<ConfigFile, 'path' | 'config' | 'envKeys' | 'positionOf'>): void {
  const hint = `Rename or remove that env section in ${file.path}; mcp-fleet changed nothing.`;
  for (const { name, at } of file.envKeys) {
    const problem = envNameProblem(name);
    if (problem) throw usageError(`${at}: env ${JSON.stringify(name)} ${problem}`, hint);
  }
  for (const [name, env] of Object.entries(file.config.env ?? {})) {
    const problem = typeof env.name === 'string' && env.name !== '' ? workerNameProblem(env.name) : undefined;
    if (problem) throw usageError(`${file.positionOf(['env', name, 'name'])}: worker name ${JSON.stringify(env.name)} ${problem}`, hint);
  }
  const shared = sharedWorkerProblem(file);
  if (shared) throw shared;
}

/** Top-level keys that are not the default worker's settings (the envs, and what only the CLI reads). */
const NOT_WORKER_SETTINGS = new Set(['$schema', 'account_id', 'env', 'dev', 'send_metrics']);

/**
 * Why the top-level worker cannot be a client, or undefined when it can: it needs a name that is
 * a valid client name, of a worker no env deploys too (two clients must never share a worker or a
 * secrets file). Checked before its secrets file is looked for, so a hostile name is never a path.
 */
export function defaultWorkerProblem(config: WranglerConfig): string | undefined {
  const name = config.name;
  if (typeof name !== 'string' || name === '') return 'the top level has no "name"';
  const problem = envNameProblem(name);
  if (problem) return `its name ${JSON.stringify(name)} ${problem}`;
  for (const [key, env] of Object.entries(config.env ?? {})) {
    if (key === name) return `env.${key} is a client of the same name`;
    if (env.name === name) return `env.${key} deploys a worker of the same name`;
  }
  return undefined;
}

/** The top-level worker as a client: its settings are the top level's, deployed without `--env`. */
export function defaultClient(dir: string, config: WranglerConfig): Client | undefined {
  if (defaultWorkerProblem(config) !== undefined) return undefined;
  const name = config.name as string;
  const section = Object.fromEntries(Object.entries(config).filter(([key]) => !NOT_WORKER_SETTINGS.has(key))) as WranglerEnv;
  return { ...clientFromEnv(dir, name, section), envName: undefined };
}

export async function loadFleet(dir: string): Promise<Fleet> {
  const file = await readConfig(dir);
  checkClientNames(file);
  const { path, text, config } = file;
  const templatePath = join(dir, TEMPLATE_FILE);
  const templateText = await readFileIfExists(templatePath);
  const envs = config.env ?? {};
  const topLevel = defaultClient(dir, config);
  const clients = Object.entries(envs).map(([name, env]) => clientFromEnv(dir, name, env));
  // The default worker is a client once it has a secrets file: `add <name> --default` writes one.
  // A sealed copy alone counts too: a fresh clone has no plain file.
  if (topLevel && ((await exists(topLevel.secretsPath)) || (await exists(`${topLevel.secretsPath}.age`)))) clients.unshift(topLevel);
  return {
    dir,
    configPath: path,
    configText: text,
    config,
    topLevelName: typeof config.name === 'string' ? config.name : undefined,
    accountId: typeof config.account_id === 'string' ? config.account_id : undefined,
    clients,
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

/** For a name that is not a client: the nearest client names (a typo), then every client. */
export function clientsHint(fleet: Fleet, unknown: readonly string[]): string {
  const names = fleet.clients.map((client) => client.name);
  const known = `Clients: ${names.join(', ') || 'none'}`;
  if (unknown.length === 1) return `${didYouMean(unknown[0] as string, names)}${known}`;
  const guesses = unknown.flatMap((name) => {
    const found = closestWords(name, names);
    return found.length === 0 ? [] : [`${orList(found)} for ${name}`];
  });
  return guesses.length === 0 ? known : `Did you mean ${guesses.join(', ')}? ${known}`;
}

/** The clients a fleet command acts on: named ones (each must exist) or, with --all, every one. */
export function selectClients(fleet: Fleet, names: readonly string[], all: boolean): Client[] {
  if (all && names.length > 0) throw usageError('give client names or --all, not both');
  if (all) {
    if (fleet.clients.length === 0)
      throw usageError(`${fleet.configPath} has no clients yet`, `Add one with: ${commandLine('add', '<client>')}`);
    return fleet.clients;
  }
  if (names.length === 0) throw usageError('name at least one client, or pass --all');
  const unknown = names.filter((name) => !findClient(fleet, name));
  if (unknown.length > 0) {
    const topLevel = unknown.find((name) => name === fleet.topLevelName);
    throw usageError(
      `unknown client${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (not an env in ${fleet.configPath})`,
      topLevel === undefined
        ? clientsHint(fleet, unknown)
        : `${clientsHint(fleet, unknown)}. ${topLevel} is the top-level worker, a client once it has a secrets file; if it serves one: ${commandLine('add', topLevel, '--default')}`,
    );
  }
  return [...new Set(names)].map((name) => findClient(fleet, name) as Client);
}

export { datasetName };
