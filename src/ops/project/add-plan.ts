import { addEnvSection, parseConfigText } from '../../config/wrangler-config.js';
import { type Client, datasetBoundBy, defaultWorkerProblem, type Fleet, findClient } from '../../fleet/fleet.js';
import { datasetName } from '../../fleet/names.js';
import { secretsFileName } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { completeSection, envSectionFor } from './client-section.js';

/** The config side of `add`: which section makes the client, and the config text after the edit. */
export interface ClientConfigPlan {
  kind: 'env' | 'default';
  configText: string;
  worker: string;
  dataset: string | undefined;
  /** What was added to the config, as paths (e.g. "env.acme", "vars.CLIENT_ID"). */
  added: string[];
  /** --adopt of an env section that exists: it is kept byte for byte. */
  keptSection: boolean;
  /** What `upgrade-config` would add to a kept section (see client-section.ts). */
  sectionLacks: string[];
}

export interface PlanRequest {
  client: string;
  asDefault: boolean;
  adopt: boolean;
  /** Settings of .vars.template for a new section's `vars` (values given, empty ones left out). */
  vars: ReadonlyMap<string, string>;
  /** Whether .secrets.<client> is there (an env section without it is what --adopt is for). */
  secretsFilePresent: boolean;
}

/** An existing env section, adopted: nothing in the config changes; what it lacks is reported. */
function planKeptSection(fleet: Fleet, client: Client): ClientConfigPlan {
  let sectionLacks: string[] = [];
  try {
    sectionLacks = completeSection(fleet, fleet.configText, ['env', client.name], client.env, client.name).added;
  } catch {
    // A dataset bound elsewhere is upgrade-config's to report, when it is run.
  }
  return {
    kind: 'env',
    configText: fleet.configText,
    worker: client.workerName,
    dataset: client.dataset,
    added: [],
    keptSection: true,
    sectionLacks,
  };
}

/** A new env.<client> section: its own worker, dataset and CLIENT_ID (and the settings given). */
function planEnvClient(fleet: Fleet, request: PlanRequest): ClientConfigPlan {
  const { client } = request;
  const existing = findClient(fleet, client);
  if (existing?.envName !== undefined && request.adopt) return planKeptSection(fleet, existing);
  if (existing) {
    throw usageError(
      `${client} is already a client (env.${client} in ${fleet.configPath})`,
      request.secretsFilePresent
        ? undefined
        : `It has no ${secretsFileName(client)} yet; to make it from the template, keeping the worker's key: ${commandLine('add', client, '--adopt')}`,
    );
  }
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
  const configText = addEnvSection(fleet.configText, client, envSectionFor(client, request.vars, fleet.config), fleet.configPath);
  return {
    kind: 'env',
    configText,
    worker: client,
    dataset: datasetName(client),
    added: [`env.${client}`],
    keptSection: false,
    sectionLacks: [],
  };
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
  return { kind: 'default', configText, worker: client, dataset, added, keptSection: false, sectionLacks: [] };
}

/** What `add` does to the config, checked (the edited text parses) before anything is written. */
export function planClientConfig(fleet: Fleet, request: PlanRequest): ClientConfigPlan {
  const plan = request.asDefault ? planDefaultClient(fleet, request.client) : planEnvClient(fleet, request);
  parseConfigText(plan.configText, fleet.configPath);
  return plan;
}
