import { usageError } from '../util/errors.js';

/** Lowercase letters, digits and single dashes; starts with a letter; no trailing dash. */
const CLIENT_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
/** workers.dev allows 63, but preview URLs prefix the name, and 54 keeps them valid. */
export const MAX_CLIENT_NAME = 54;

export const CLIENT_NAME_RULE = `lowercase letters, digits and single dashes, starting with a letter, not ending with a dash, at most ${MAX_CLIENT_NAME} characters`;

/** Why a name is not a valid client name, or undefined when it is. */
export function clientNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.length > MAX_CLIENT_NAME) return `"${name}" is ${name.length} characters long`;
  if (!CLIENT_NAME.test(name)) return `"${name}" is not a valid client name`;
  return undefined;
}

export function assertClientName(name: string): void {
  const problem = clientNameProblem(name);
  if (problem) throw usageError(`${problem}: a client name is ${CLIENT_NAME_RULE}`);
}

/** Analytics Engine dataset of a client: `[a-z0-9_]` is the safe alphabet. */
export function datasetName(client: string): string {
  return `${client.replace(/-/g, '_')}_metrics`;
}
