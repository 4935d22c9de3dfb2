import { API_KEY } from '../../fleet/fleet.js';
import { type ClientVar, varValueProblem } from '../../fleet/vars-template.js';
import { apiKeyProblem } from '../../secrets/api-key.js';
import { generateApiKey } from '../../secrets/generate.js';
import { UPSTREAM_SIGNING_KEY } from '../../secrets/upstream-signing.js';
import { FleetError, isFleetError, usageError } from '../../util/errors.js';
import type { PresenceCheck, WorkerPresence } from './worker-presence.js';

/** Where add's values come from (never the values themselves, in anything it reports). */
export type SecretSource = 'generated' | 'flag' | 'env' | 'prompt' | 'missing';
export type VarSource = 'flag' | 'env' | 'prompt' | 'default' | 'missing';

export interface ValueInputs {
  /** --set KEY=VALUE. */
  set: ReadonlyMap<string, string>;
  /** --from-env: values from environment variables of the same name. */
  fromEnv: boolean;
  env: NodeJS.ProcessEnv;
}

export interface Given {
  value: string;
  source: 'flag' | 'env';
}

/** A value from --set or (with --from-env) the environment; an empty environment variable is no value. */
export function givenValue(key: string, inputs: ValueInputs): Given | undefined {
  const flag = inputs.set.get(key);
  if (flag !== undefined) return { value: flag, source: 'flag' };
  const fromEnv = inputs.fromEnv ? inputs.env[key] : undefined;
  return fromEnv !== undefined && fromEnv !== '' ? { value: fromEnv, source: 'env' } : undefined;
}

/** How a value's origin is named in a message: the flag, the variable, or the prompt. */
export function originOf(key: string, source: 'flag' | 'env' | 'prompt'): string {
  if (source === 'flag') return `--set ${key}`;
  return source === 'env' ? `${key} from the environment (--from-env)` : `the ${key} typed`;
}

export function assertUsableKey(value: string, origin: string): void {
  const problem = value === '' ? 'is empty' : apiKeyProblem(value);
  if (problem)
    throw usageError(
      `${origin} ${problem}; nothing was written`,
      'An API_KEY is at least 16 random bytes; leave it out to have one generated for a new worker.',
    );
}

/**
 * The client's upstream signing key: the one given (--from-env or --set, to keep the key a live
 * worker and its upstream already share), else a new one. It obeys the key rules of API_KEY: the
 * upstream's author copies it into their own configuration, where whitespace would not survive.
 */
export function chooseSigningKey(inputs: ValueInputs): { value: string; source: 'generated' | 'flag' | 'env' } {
  const given = givenValue(UPSTREAM_SIGNING_KEY, inputs);
  if (given === undefined) return { value: generateApiKey(), source: 'generated' };
  const problem = apiKeyProblem(given.value);
  if (problem) {
    throw usageError(
      `${originOf(UPSTREAM_SIGNING_KEY, given.source)} ${problem}; nothing was written`,
      `Leave it out to have one generated (32 random bytes), or give the key the client's upstream already verifies with.`,
    );
  }
  return given;
}

export interface KeyChoice {
  value: string;
  source: 'generated' | 'flag' | 'env' | 'prompt';
  /** Whether the worker runs already: undefined when that was not needed, or could not be known. */
  workerExists: boolean | undefined;
  /** Why it could not be known, when it was asked for and could not be. */
  unknownWhy: string | undefined;
  /** --new-key replaced the key of a worker that runs. */
  replacedLiveKey: boolean;
}

export interface KeyRequest {
  client: string;
  worker: string;
  given: Given | undefined;
  /** --new-key: a new key on purpose, even for a worker that runs. */
  newKey: boolean;
  /** --adopt or --default: the worker may well be live, so no key is made for it without knowing it is not. */
  adopting: boolean;
  check: PresenceCheck;
  /** Asks a person for the live key (masked); absent without a terminal. */
  ask?: ((message: string) => Promise<string | undefined>) | undefined;
  /** This add again with --new-key, as it runs. */
  newKeyLine: string;
}

/** Whether the worker runs; a target that cannot be read is said so, with what to do instead. */
export async function presenceOf(request: Pick<KeyRequest, 'check' | 'worker' | 'newKeyLine'>): Promise<WorkerPresence> {
  try {
    return await request.check.presence(request.worker);
  } catch (error) {
    if (!isFleetError(error)) throw error;
    throw new FleetError(
      `could not tell whether worker ${request.worker} already runs (${request.check.where}): ${error.message}; nothing was written`,
      {
        hint: `A live worker keeps its key: give it (--from-env with API_KEY, or --set API_KEY=…), or make a new one on purpose: ${request.newKeyLine}`,
        exitCode: error.exitCode,
      },
    );
  }
}

/**
 * The API_KEY of the client being added. A worker that runs already keeps its key: callers hold
 * it, and a new one would lock them out at the next deploy. So the key is given (--set,
 * --from-env, a prompt) or, only for a worker known not to run, generated — or generated on
 * purpose with --new-key. One presence check (a list of the account's workers) at most.
 */
export async function chooseApiKey(request: KeyRequest): Promise<KeyChoice> {
  const { given, worker } = request;
  if (given && request.newKey) {
    throw usageError(`--new-key and ${originOf(API_KEY, given.source)}: give the key, or ask for a new one, not both`);
  }
  if (given) {
    assertUsableKey(given.value, originOf(API_KEY, given.source));
    return { ...given, workerExists: undefined, unknownWhy: undefined, replacedLiveKey: false };
  }
  const presence = await presenceOf(request);
  const workerExists = presence.state === 'unknown' ? undefined : presence.state === 'exists';
  const unknownWhy = presence.state === 'unknown' ? presence.why : undefined;
  const generated: KeyChoice = { value: generateApiKey(), source: 'generated', workerExists, unknownWhy, replacedLiveKey: false };
  if (request.newKey) return { ...generated, replacedLiveKey: workerExists === true };
  if (workerExists === false || (workerExists === undefined && !request.adopting)) return generated;

  const situation =
    workerExists === true
      ? `worker ${worker} already runs (${request.check.where})`
      : `mcp-fleet cannot tell whether worker ${worker} already runs: ${unknownWhy}`;
  if (request.ask) {
    const typed = await request.ask(
      `${API_KEY} for ${request.client}: the key its callers use now (${workerExists ? `worker ${worker} runs` : 'its worker may run'}; empty stops)`,
    );
    if (typed !== undefined) {
      assertUsableKey(typed, originOf(API_KEY, 'prompt'));
      return { value: typed, source: 'prompt', workerExists, unknownWhy, replacedLiveKey: false };
    }
  }
  throw usageError(
    `${situation}: add keeps a live worker's ${API_KEY}, and none was given; nothing was written`,
    `Give its current key with --from-env (${API_KEY} in the environment), with --set ${API_KEY}=…, or at a terminal when asked. To give ${request.client} a new key on purpose (its callers need it from the next deploy on): ${request.newKeyLine}`,
  );
}

export interface VarChoice {
  key: string;
  value: string;
  source: VarSource;
}

/** A setting of .vars.template as given, else as typed, else its default; checked before anything is written. */
export async function chooseVar(
  entry: ClientVar,
  inputs: ValueInputs,
  ask: ((key: string) => Promise<string | undefined>) | undefined,
): Promise<VarChoice> {
  const given = givenValue(entry.key, inputs);
  let choice: VarChoice;
  if (given) choice = { key: entry.key, ...given };
  else {
    const typed = ask ? await ask(entry.key) : undefined;
    if (typed !== undefined) choice = { key: entry.key, value: typed, source: 'prompt' };
    else if (entry.defaultValue !== '') choice = { key: entry.key, value: entry.defaultValue, source: 'default' };
    else choice = { key: entry.key, value: '', source: 'missing' };
  }
  const problem = varValueProblem(entry.key, choice.value);
  if (problem) {
    const origin =
      choice.source === 'default' ? `${entry.key} in .vars.template` : originOf(entry.key, choice.source as 'flag' | 'env' | 'prompt');
    throw usageError(`${origin} ${problem}; nothing was written`);
  }
  return choice;
}
