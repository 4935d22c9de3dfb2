import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { API_KEY, type Client, type Fleet } from '../fleet/fleet.js';
import { readSecretsFile, SECRETS_FILE_MODE, type SecretsFile } from '../secrets/secrets-file.js';
import { checkCompleteness, describeIncomplete, isComplete } from '../secrets/template.js';
import { describeError, ExitCode, FleetError, isFleetError, usageError } from '../util/errors.js';
import { ensurePrivateDir, readFileIfExists, writeFileAtomic } from '../util/files.js';

/** Shared by the fleet-wide secrets and deploy operations. Nothing here returns or prints a value except to its caller. */

/** Why one client failed, secret-free. exitCode 2 when its input was bad (a file), 1 otherwise. */
export interface ClientFailure {
  message: string;
  hint?: string;
  exitCode: 1 | 2;
}

export function clientFailure(error: unknown): ClientFailure {
  if (isFleetError(error)) {
    return { message: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode === ExitCode.usage ? 2 : 1 };
  }
  return { message: describeError(error), exitCode: 1 };
}

/**
 * Exit code of a fleet command from each selected client's failure (undefined = succeeded):
 * 0 when all succeeded; 2 when every client failed on bad input, so nothing was done; else 1.
 */
export function fleetExitCode(failures: readonly (ClientFailure | undefined)[]): 0 | 1 | 2 {
  const failed = failures.filter((failure): failure is ClientFailure => failure !== undefined);
  if (failed.length === 0) return 0;
  return failed.length === failures.length && failed.every((failure) => failure.exitCode === 2) ? 2 : 1;
}

/** Live progress of one client in a fleet operation. `detail` is shown on its line; never a value. */
export type ClientPhase = 'queued' | 'working' | 'done' | 'failed' | 'skipped';
export type ProgressListener = (client: string, phase: ClientPhase, detail: string) => void;

/** Reads a client's secrets file strictly; a missing or malformed file is bad input naming the file. */
export async function readClientSecrets(fleet: Fleet, client: Client): Promise<SecretsFile> {
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

// --- Unfinished rotations -------------------------------------------------------------------

/**
 * A rotation writes its new value here (0600) before pushing it, so that a crash between the
 * push and the write of `.secrets.<client>` never loses the value the worker may already have.
 * The old value is not stored here: it stays in the secrets file and in the backup named below.
 */
const PendingRotationSchema = z.object({
  version: z.literal(1),
  client: z.string(),
  key: z.string(),
  value: z.string().min(1),
  /** The copy of the secrets file taken before anything changed. */
  backup: z.string(),
  startedAt: z.string(),
  /** The previous key stays valid (as API_KEY_PREVIOUS) until `secrets retire`. */
  grace: z.boolean().optional(),
});
export type PendingRotation = z.infer<typeof PendingRotationSchema>;

export function backupsDir(projectDir: string, client: string): string {
  return join(projectDir, '.mcp-fleet', 'backups', client);
}

export function pendingRotationPath(projectDir: string, client: string): string {
  return join(backupsDir(projectDir, client), 'pending-rotation');
}

export async function readPendingRotation(projectDir: string, client: string): Promise<PendingRotation | undefined> {
  const path = pendingRotationPath(projectDir, client);
  const text = await readFileIfExists(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = PendingRotationSchema.safeParse(json);
  if (!parsed.success || parsed.data.client !== client) {
    throw new FleetError(`${path} is damaged; it may hold the only copy of ${client}'s newest key`, {
      hint: 'Inspect it by hand (it is JSON with the new value); move it away once the worker and the secrets file agree.',
    });
  }
  return parsed.data;
}

export async function writePendingRotation(projectDir: string, record: PendingRotation): Promise<void> {
  await ensurePrivateDir(join(projectDir, '.mcp-fleet'));
  await ensurePrivateDir(join(projectDir, '.mcp-fleet', 'backups'));
  await ensurePrivateDir(backupsDir(projectDir, record.client));
  await writeFileAtomic(pendingRotationPath(projectDir, record.client), `${JSON.stringify(record)}\n`, { mode: SECRETS_FILE_MODE });
}

export async function clearPendingRotation(projectDir: string, client: string): Promise<void> {
  await rm(pendingRotationPath(projectDir, client), { force: true });
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
