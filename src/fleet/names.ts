import { usageError } from '../util/errors.js';

/** Lowercase letters, digits and single dashes; starts with a letter; no trailing dash. */
const CLIENT_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
/** workers.dev allows 63, but preview URLs prefix the name, and 54 keeps them valid. */
export const MAX_CLIENT_NAME = 54;

export const CLIENT_NAME_RULE = `lowercase letters, digits and single dashes, starting with a letter, not ending with a dash, at most ${MAX_CLIENT_NAME} characters`;

/**
 * Names that fit the rule but would make a client's files collide with the tool's own. Names
 * hold no dots, so `.secrets.<name>` can only collide with a one-word `.secrets.*` file.
 */
const RESERVED_NAMES: Readonly<Record<string, string>> = {
  // Its secrets file would overwrite the committed, names-only template, and git does not ignore it.
  template: 'its secrets file would be .secrets.template, the committed list of key names',
};

/** Why a name breaks the naming rule (a phrase that follows the quoted name), or undefined. */
function ruleProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_CLIENT_NAME) return `is ${name.length} characters long`;
  if (!CLIENT_NAME.test(name)) return 'is not a valid client name';
  return undefined;
}

/** Why a name is not a valid client name, or undefined when it is (reserved names aside). */
export function clientNameProblem(name: string): string | undefined {
  const problem = ruleProblem(name);
  if (!problem) return undefined;
  return name === '' ? 'the name is empty' : `${JSON.stringify(name)} ${problem}`;
}

function reservedReason(name: string): string | undefined {
  return Object.hasOwn(RESERVED_NAMES, name) ? RESERVED_NAMES[name] : undefined;
}

export function assertClientName(name: string): void {
  const problem = clientNameProblem(name);
  if (problem) throw usageError(`${problem}: a client name is ${CLIENT_NAME_RULE}`);
  const reserved = reservedReason(name);
  if (reserved) throw usageError(`${JSON.stringify(name)} is reserved: ${reserved}`, 'Pick another name for the client.');
}

/**
 * Why an env key read from wrangler.jsonc cannot name a client (a phrase that follows the quoted
 * name), or undefined. The key becomes file names and URLs, so it is held to the same rules as a
 * name given to `add`.
 */
export function envNameProblem(name: string): string | undefined {
  const problem = ruleProblem(name);
  if (problem) return `${problem}: a client name is ${CLIENT_NAME_RULE}`;
  const reserved = reservedReason(name);
  return reserved === undefined ? undefined : `is reserved: ${reserved}`;
}

/** Cloudflare's rule for script names; the name also becomes a hostname label and an API path segment. */
const WORKER_NAME = /^[a-z0-9_][a-z0-9_-]*$/;
const MAX_WORKER_NAME = 63;

/** Why a worker name (env.<client>.name) is not one Cloudflare accepts, or undefined. */
export function workerNameProblem(name: string): string | undefined {
  if (name.length > MAX_WORKER_NAME) return `is ${name.length} characters long (at most ${MAX_WORKER_NAME})`;
  if (!WORKER_NAME.test(name)) return 'is not one Cloudflare accepts: lowercase letters, digits, dashes and underscores';
  return undefined;
}

/** Analytics Engine dataset of a client: `[a-z0-9_]` is the safe alphabet. */
export function datasetName(client: string): string {
  return `${client.replace(/-/g, '_')}_metrics`;
}
