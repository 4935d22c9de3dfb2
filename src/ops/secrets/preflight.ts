import { basename } from 'node:path';
import { API_KEY, type Client, type Fleet, PREVIOUS_API_KEY } from '../../fleet/fleet.js';
import { apiKeyProblem, MIN_API_KEY_BYTES } from '../../secrets/api-key.js';
import { LOCAL_ONLY_SECRETS, parseSigningKey, workerSecrets } from '../../secrets/jwt-keys.js';
import { readSecretsFile, type SecretsFile } from '../../secrets/secrets-file.js';
import { checkCompleteness, describeIncomplete, isComplete } from '../../secrets/template.js';
import { FleetError, usageError } from '../../util/errors.js';
import { commandLine, shellQuote } from '../../util/next-step.js';
import { readPendingRotation } from './rotation/pending.js';

/**
 * What push, deploy, rotate and retire check about a client's secrets file before sending
 * anything for that client. Nothing here returns or prints a value except to its caller.
 */

/**
 * How to make a client's missing secrets file. Not `add --force`: the client's section exists, so
 * add refuses it; `add <client> --adopt` makes the file from the template (keeping the live
 * worker's key), or the template is copied and filled in by hand.
 */
export function missingSecretsHint(templatePath: string, secretsPath: string, client?: string): string {
  const byHand = `cp ${shellQuote(templatePath)} ${shellQuote(secretsPath)} && chmod 600 ${shellQuote(secretsPath)}`;
  const keyRule = `API_KEY: at least ${MIN_API_KEY_BYTES} random bytes, e.g. openssl rand -hex 32`;
  if (client === undefined) return `Create it from the template and fill in every value (${keyRule}): ${byHand}`;
  return `Make it from the template, keeping the key its worker's callers use (asked at a terminal, or API_KEY with --from-env): ${commandLine('add', client, '--adopt')}. Or by hand, then fill in every value (${keyRule}): ${byHand}`;
}

/**
 * Reads a client's secrets file strictly, to use its values; a missing or malformed file or a
 * symbolic link is bad input naming the file (readSecretsFile makes one other users can read 0600, and says so).
 */
export async function readRequiredSecretsFile(fleet: Fleet, client: Client): Promise<SecretsFile> {
  const name = basename(client.secretsPath);
  const file = await readSecretsFile(client.secretsPath, { displayName: name });
  if (!file) {
    throw usageError(`${name} does not exist`, missingSecretsHint(fleet.templatePath, client.secretsPath, client.name));
  }
  return file;
}

/**
 * The top-level worker is a client once it has a secrets file, but only `add --default` gives the
 * top level the `vars.CLIENT_ID` every client's worker answers with: without it the worker serves
 * nobody (whoami fails, /ready answers 503), so a deploy would fail its checks and roll back.
 * Refused before anything is uploaded. (An env section without it is `upgrade-config`'s to report.)
 */
export function assertTopLevelClientId(fleet: Fleet, client: Client): void {
  if (client.envName !== undefined) return;
  const id = client.env.vars?.CLIENT_ID;
  if (typeof id === 'string' && id !== '') return;
  const file = basename(client.secretsPath);
  if (id !== undefined) {
    throw usageError(
      `${fleet.configPath}: the top level's vars.CLIENT_ID is not the client's name as text; nothing was uploaded for ${client.name}`,
      `Set "CLIENT_ID": "${client.name}" in the top level's "vars" of ${fleet.configPath}.`,
    );
  }
  throw usageError(
    `${file} makes the top-level worker ${client.name} a client, but the top level of ${fleet.configPath} has no vars.CLIENT_ID (add --default writes it); nothing was uploaded for ${client.name}`,
    `Add what the top level lacks, then deploy again: ${commandLine('upgrade-config', client.name)}`,
  );
}

/** Every key of `.secrets.template` must be present and non-empty, or nothing is sent for this client. */
export function assertComplete(fleet: Fleet, client: Client, values: ReadonlyMap<string, string>): void {
  const completeness = checkCompleteness(fleet.requiredKeys, values);
  if (!isComplete(completeness)) {
    throw usageError(
      `${basename(client.secretsPath)} is incomplete: ${describeIncomplete(completeness)} (required by ${basename(fleet.templatePath)}); nothing was sent for ${client.name}`,
      `Fill in the value${completeness.missing.length + completeness.empty.length > 1 ? 's' : ''} in ${client.secretsPath}, then re-run.`,
    );
  }
}

/**
 * A key that opens the worker (API_KEY, or API_KEY_PREVIOUS during a grace period) must obey the
 * key rules (secrets/api-key.ts): a key of spaces or a few characters opens the worker to anyone
 * who guesses it, one with whitespace at its end locks the real caller out. Refused before it is
 * sent, naming the file and line; says what is wrong, never what the key is. An empty value is
 * assertComplete's (API_KEY) or never sent (API_KEY_PREVIOUS).
 */
export function assertUsableApiKey(client: Client, file: Pick<SecretsFile, 'values' | 'lines'>): void {
  const name = basename(client.secretsPath);
  for (const key of [API_KEY, PREVIOUS_API_KEY]) {
    const value = file.values.get(key);
    if (value === undefined || value === '') continue;
    const problem = apiKeyProblem(value);
    if (problem === undefined) continue;
    const line = file.lines.get(key);
    const hint =
      key === API_KEY
        ? `Put a random key of at least ${MIN_API_KEY_BYTES} bytes in ${client.secretsPath}, or, once the worker is deployed, let mcp-fleet make one: ${commandLine('secrets', 'rotate', client.name)}`
        : `${PREVIOUS_API_KEY} opens the worker as ${API_KEY} does. Delete that line from ${client.secretsPath} (the next push removes it from the worker too), or end the grace period: ${commandLine('secrets', 'retire', client.name)}`;
    throw usageError(`${name}${line === undefined ? '' : `:${line}`}: ${key} ${problem}; nothing was sent for ${client.name}`, hint);
  }
}

/**
 * The entries worth sending: empty values of optional keys are left out (a required one fails
 * assertComplete first), and the private JWT signing keys never leave the file: the worker gets
 * their public halves as JWT_PUBLIC_KEYS instead (secrets/jwt-keys.ts). A signing key that is no
 * Ed25519 private key is bad input naming the file and line.
 */
export function valuesToSend(
  values: ReadonlyMap<string, string>,
  file?: Pick<SecretsFile, 'lines'> & { name: string },
): { send: Map<string, string>; skippedEmpty: string[] } {
  const skippedEmpty: string[] = [];
  const given: Record<string, string> = {};
  for (const [key, value] of values) {
    if (value === '') skippedEmpty.push(key);
    else given[key] = value;
  }
  for (const key of LOCAL_ONLY_SECRETS) {
    const value = given[key];
    if (value === undefined) continue;
    try {
      parseSigningKey(value);
    } catch (error) {
      const line = file?.lines.get(key);
      throw usageError(
        `${file?.name ?? 'the secrets file'}${line === undefined ? '' : `:${line}`}: ${key} ${(error as Error).message}; nothing was sent`,
        `Delete that line and let mcp-fleet make a new key: ${commandLine('auth', '<client>', 'key,jwt')}`,
      );
    }
  }
  return { send: new Map(Object.entries(workerSecrets(given))), skippedEmpty };
}

/**
 * Push and deploy send the file's values. While a rotation is unsettled (its new value may be
 * live but is not in the file yet) that would silently undo it, so they refuse until it is finished.
 */
export async function assertNoUnsettledRotation(fleet: Fleet, client: Client, values: ReadonlyMap<string, string>): Promise<void> {
  const pending = await readPendingRotation(fleet.dir, client.name);
  if (pending && values.get(pending.key) !== pending.value) {
    throw new FleetError(
      `${client.name} has an unfinished rotation of ${pending.key} (started ${pending.startedAt}): the worker may already use the new value`,
      {
        hint: `Finish it first: ${pending.key === API_KEY ? commandLine('secrets', 'rotate', client.name) : commandLine('secrets', 'rotate', client.name, '--key', pending.key)}`,
      },
    );
  }
}

/**
 * The full check before a client's file is sent as a whole (push, deploy): the values to send.
 * Every key that opens the worker obeys the key rules; a file others could read was made 0600 (and said so) by the read.
 */
export async function readSecretsToSend(fleet: Fleet, client: Client): Promise<{ send: Map<string, string>; skippedEmpty: string[] }> {
  const file = await readRequiredSecretsFile(fleet, client);
  assertComplete(fleet, client, file.values);
  assertUsableApiKey(client, file);
  await assertNoUnsettledRotation(fleet, client, file.values);
  return valuesToSend(file.values, { lines: file.lines, name: basename(client.secretsPath) });
}
