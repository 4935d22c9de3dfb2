import { basename, join } from 'node:path';
import { API_KEY, type Fleet, loadFleet } from '../../fleet/fleet.js';
import { assertClientName } from '../../fleet/names.js';
import { type ClientVar, readVarsTemplate, VARS_TEMPLATE_FILE, varValueProblem } from '../../fleet/vars-template.js';
import { isValidKey, updateSecretsText } from '../../secrets/dotfile.js';
import { refuseIfTracked } from '../../secrets/git-guard.js';
import { readRecipients } from '../../secrets/sealed/recipients.js';
import { readSecretsFile, sealedPathOf, secretsFileName, writeSealedText } from '../../secrets/secrets-file.js';
import { UPSTREAM_SIGNING_KEY } from '../../secrets/upstream-signing.js';
import { usageError } from '../../util/errors.js';
import { exists, sweepStaleTempFiles } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { settleInterruptedAdds } from './add-journal.js';
import { type ClientConfigPlan, planClientConfig } from './add-plan.js';
import type { AddResult } from './add-result.js';
import {
  assertUsableKey,
  chooseApiKey,
  chooseSigningKey,
  chooseVar,
  givenValue,
  originOf,
  presenceOf,
  type SecretSource,
  type ValueInputs,
  type VarChoice,
} from './add-values.js';
import { writeClient } from './add-write.js';
import { type PresenceCheck, unknownPresence } from './worker-presence.js';

export type { AddResult } from './add-result.js';

export interface AddOptions {
  fleet: Fleet;
  client: string;
  /** Values from --set KEY=VALUE. */
  set: ReadonlyMap<string, string>;
  /** Take values from the environment (--from-env). */
  fromEnv: boolean;
  env: NodeJS.ProcessEnv;
  /** Asks a person for a secret (masked; `message` replaces the usual question); absent when nobody is at a TTY or --yes was given. */
  ask?: (key: string, message?: string) => Promise<string | undefined>;
  /** Asks for a plain setting of .vars.template (not masked: it goes into wrangler.jsonc). */
  askVar?: (key: string) => Promise<string | undefined>;
  /** Replace an existing secrets file (a backup is kept). */
  force: boolean;
  /** The client is the top-level worker (deployed without --env), not a new env section. */
  asDefault?: boolean;
  /** Take over a client that exists: an env section without a secrets file, or a worker no section names. */
  adopt?: boolean;
  /** Generate a new API_KEY even for a worker that runs. */
  newKey?: boolean;
  /** Whether the worker runs on the target; without one, it is unknown (and a live worker's key is never guessed at). */
  presence?: PresenceCheck;
  /** Refuse before writing anything when a required value is missing; names why (e.g. "--deploy"). */
  requireComplete?: string;
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

/** add again with --new-key, as it would run (for the hint that offers it). */
function newKeyLine(options: AddOptions, plan: ClientConfigPlan): string {
  const words = ['add', options.client];
  if (options.asDefault) words.push('--default');
  if (options.adopt || plan.keptSection) words.push('--adopt');
  return commandLine(...words, '--new-key');
}

/** --adopt of a name no section has takes over a worker that runs; anything else is a new client. */
async function assertSomethingToAdopt(options: AddOptions, plan: ClientConfigPlan, check: PresenceCheck): Promise<void> {
  if (!options.adopt || options.asDefault || plan.keptSection) return;
  const presence = await presenceOf({ check, worker: plan.worker, newKeyLine: newKeyLine(options, plan) });
  if (presence.state === 'exists') return;
  const why =
    presence.state === 'absent'
      ? `no worker ${plan.worker} runs (${check.where})`
      : `cannot tell whether worker ${plan.worker} runs: ${presence.why}`;
  throw usageError(
    `--adopt: ${options.fleet.configPath} has no env.${options.client}, and ${why}; nothing to adopt, nothing was written`,
    presence.state === 'absent' ? `To add a new client: ${commandLine('add', options.client)}` : undefined,
  );
}

/** Keys add makes up itself when none is given (so never asks for): the caller key and the upstream signing key. */
function isMadeByAdd(key: string): boolean {
  return key === API_KEY || key === UPSTREAM_SIGNING_KEY;
}

/** Keys without a usable value when --deploy needs them all: refused before anything is written or sent. */
function assertComplete(options: AddOptions, fleet: Fleet, values: ReadonlyMap<string, string>, keys: readonly string[]): void {
  const missing = keys.filter((key) => (values.get(key) ?? '') === '');
  if (!options.requireComplete || missing.length === 0) return;
  throw usageError(
    `${options.requireComplete} needs every key of ${basename(fleet.templatePath)}; no value for ${missing.join(', ')}; nothing was written`,
    'Give the values (--from-env, or at a terminal when asked), or add without --deploy and fill them in later.',
  );
}

/**
 * The values given on the command line or in the environment, checked before anything is asked,
 * read or written: a setting that is no URL, a weak or contradicted API_KEY, and (without a
 * terminal to ask at) what --deploy would miss.
 */
function checkGivenValues(options: AddOptions, fleet: Fleet, askedVars: readonly ClientVar[], inputs: ValueInputs) {
  for (const entry of askedVars) {
    const given = givenValue(entry.key, inputs);
    const problem = given && varValueProblem(entry.key, given.value);
    if (given && problem) throw usageError(`${originOf(entry.key, given.source)} ${problem}; nothing was written`);
  }
  const values = new Map<string, string>();
  const sources: Record<string, SecretSource> = {};
  for (const key of fleet.requiredKeys) {
    const given = isMadeByAdd(key) ? undefined : givenValue(key, inputs);
    if (given) {
      values.set(key, given.value);
      sources[key] = given.source;
    }
  }
  if (!options.ask)
    assertComplete(
      options,
      fleet,
      values,
      fleet.requiredKeys.filter((key) => !isMadeByAdd(key)),
    );
  const givenKey = fleet.requiredKeys.includes(API_KEY) ? givenValue(API_KEY, inputs) : undefined;
  if (givenKey && options.newKey) {
    throw usageError(`--new-key and ${originOf(API_KEY, givenKey.source)}: give the key, or ask for a new one, not both`);
  }
  if (givenKey) assertUsableKey(givenKey.value, originOf(API_KEY, givenKey.source));
  // Every new client gets one, in the template or not: its worker signs what it sends upstream.
  return { values, sources, givenKey, signing: chooseSigningKey(inputs) };
}

export async function addClient(options: AddOptions): Promise<AddResult> {
  const { client } = options;
  assertClientName(client);
  // An add killed earlier left a record (and temp files holding its values): settled first, so a re-run converges.
  const settled = await settleInterruptedAdds(options.fleet.dir);
  await sweepStaleTempFiles(options.fleet.dir);
  const finished = settled.find((entry) => entry.client === client && entry.outcome === 'finished');
  // The record holds the report add wrote it with (no value): the finished add's, given again.
  if (finished) return { ...(finished.result as unknown as AddResult), resumed: true };
  const fleet = settled.length > 0 ? await loadFleet(options.fleet.dir) : options.fleet;

  // Everything that can fail on bad input is checked before the first write, and before the one remote read.
  if (fleet.templateText === undefined) {
    throw usageError(
      `${fleet.templatePath} is missing: it lists the keys every client needs`,
      `Create it, or run: ${commandLine('init', '--adopt')}`,
    );
  }
  const required = fleet.requiredKeys;
  const varsTemplate = await readVarsTemplate(fleet.dir, required);
  const inputs: ValueInputs = { set: options.set, fromEnv: options.fromEnv, env: options.env };
  const unknown = [...options.set.keys()].filter(
    (key) => key !== UPSTREAM_SIGNING_KEY && !required.includes(key) && !varsTemplate?.vars.some((v) => v.key === key),
  );
  if (unknown.length > 0) {
    throw usageError(
      `--set ${unknown.join(', ')}: not in ${fleet.templatePath}${varsTemplate ? ` or ${VARS_TEMPLATE_FILE}` : ''}`,
      `Keys of the template: ${required.join(', ') || 'none'}${varsTemplate ? `; settings: ${varsTemplate.vars.map((v) => v.key).join(', ') || 'none'}` : ''}`,
    );
  }
  const secretsPath = join(fleet.dir, secretsFileName(client));
  const existing = await exists(secretsPath);
  const planFor = (vars: ReadonlyMap<string, string>) =>
    planClientConfig(fleet, {
      client,
      asDefault: Boolean(options.asDefault),
      adopt: Boolean(options.adopt),
      vars,
      secretsFilePresent: existing,
    });
  let plan = planFor(new Map());
  if (existing && !options.force) {
    throw usageError(
      plan.keptSection
        ? `${client} is a client already: env.${client} and ${secretsPath} are both there; nothing to adopt, nothing was written`
        : `${secretsPath} already exists; it was left as it is`,
      'Pass --force to replace it (a backup is kept in .mcp-fleet/backups/).',
    );
  }
  await refuseIfTracked(fleet.dir, secretsPath);
  if (existing) await readSecretsFile(secretsPath); // a malformed file is reported rather than silently replaced

  // Settings go only into a section add writes; a kept one (or the top level) stays as it is.
  const askedVars = plan.keptSection || options.asDefault ? [] : (varsTemplate?.vars ?? []);
  const { values, sources, givenKey, signing } = checkGivenValues(options, fleet, askedVars, inputs);
  const others = required.filter((key) => !isMadeByAdd(key));

  const { ask } = options;
  const check = options.presence ?? unknownPresence('nothing asked the target');
  await assertSomethingToAdopt(options, plan, check);
  let key: Awaited<ReturnType<typeof chooseApiKey>> | undefined;
  if (required.includes(API_KEY)) {
    key = await chooseApiKey({
      client,
      worker: plan.worker,
      given: givenKey,
      newKey: Boolean(options.newKey),
      adopting: Boolean(options.adopt || options.asDefault),
      check,
      ask: ask ? (message) => ask(API_KEY, message) : undefined,
      newKeyLine: newKeyLine(options, plan),
    });
    values.set(API_KEY, key.value);
    sources[API_KEY] = key.source;
  }
  for (const name of others) {
    if (sources[name] !== undefined) continue;
    const asked = ask ? await ask(name) : undefined;
    values.set(name, asked ?? '');
    sources[name] = asked === undefined ? 'missing' : 'prompt';
  }
  values.set(UPSTREAM_SIGNING_KEY, signing.value);
  sources[UPSTREAM_SIGNING_KEY] = signing.source;
  const vars: VarChoice[] = [];
  for (const entry of askedVars) vars.push(await chooseVar(entry, inputs, options.askVar));
  assertComplete(options, fleet, values, others);
  plan = planFor(new Map(vars.filter((entry) => entry.value !== '').map((entry) => [entry.key, entry.value])));

  const result: Omit<AddResult, 'backup'> = {
    client,
    default: Boolean(options.asDefault),
    worker: plan.worker,
    dataset: plan.dataset ?? null,
    configAdded: plan.added,
    keptSection: plan.keptSection,
    sectionLacks: plan.sectionLacks,
    secretsFile: secretsPath,
    sealedFile: null,
    sources,
    missing: required.filter((name) => sources[name] === 'missing'),
    vars: Object.fromEntries(vars.map((entry) => [entry.key, entry.source])),
    varsNotSet: vars.filter((entry) => entry.value === '').map((entry) => entry.key),
    workerExists: key?.workerExists ?? null,
    workerUnknown: key?.source === 'generated' ? (key.unknownWhy ?? null) : null,
    replacedLiveKey: key?.replacedLiveKey ?? false,
    resumed: false,
  };
  const secretsText = updateSecretsText(fleet.templateText, fleet.templatePath, values);
  const backup = await writeClient({ fleet, client, plan, secretsPath, secretsText, replaces: existing, result });
  // A team that seals its secrets gets the new client sealed too: its secrets must not live on one disk alone.
  if (((await readRecipients(fleet.dir)) ?? []).length > 0) {
    await writeSealedText(sealedPathOf(secretsPath), secretsText);
    result.sealedFile = sealedPathOf(secretsPath);
  }
  return { ...result, backup };
}
