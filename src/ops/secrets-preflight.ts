import { basename } from 'node:path';
import { API_KEY, type Client, type Fleet } from '../fleet/fleet.js';
import { readSecretsFile, type SecretsFile } from '../secrets/secrets-file.js';
import { checkCompleteness, describeIncomplete, isComplete } from '../secrets/template.js';
import { FleetError, usageError } from '../util/errors.js';
import { readPendingRotation } from './pending-rotation.js';

/**
 * What push, deploy, rotate and retire check about a client's secrets file before sending
 * anything for that client. Nothing here returns or prints a value except to its caller.
 */

/** Reads a client's secrets file strictly; a missing or malformed file is bad input naming the file. */
export async function readRequiredSecretsFile(fleet: Fleet, client: Client): Promise<SecretsFile> {
  const name = basename(client.secretsPath);
  const file = await readSecretsFile(client.secretsPath, name);
  if (!file) {
    throw usageError(
      `${name} does not exist`,
      `Create it with: mcp-fleet add ${client.name} --force (or copy ${basename(fleet.templatePath)} and fill it in)`,
    );
  }
  return file;
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

/** The entries worth sending: empty values of optional keys are left out (a required one fails assertComplete first). */
export function valuesToSend(values: ReadonlyMap<string, string>): { send: Map<string, string>; skippedEmpty: string[] } {
  const send = new Map<string, string>();
  const skippedEmpty: string[] = [];
  for (const [key, value] of values) {
    if (value === '') skippedEmpty.push(key);
    else send.set(key, value);
  }
  return { send, skippedEmpty };
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
        hint: `Finish it first: mcp-fleet secrets rotate ${client.name}${pending.key === API_KEY ? '' : ` --key ${pending.key}`}`,
      },
    );
  }
}

/** The full check before a client's file is sent as a whole (push, deploy): the values to send. */
export async function readSecretsToSend(fleet: Fleet, client: Client): Promise<{ send: Map<string, string>; skippedEmpty: string[] }> {
  const file = await readRequiredSecretsFile(fleet, client);
  assertComplete(fleet, client, file.values);
  await assertNoUnsettledRotation(fleet, client, file.values);
  return valuesToSend(file.values);
}
