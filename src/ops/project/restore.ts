import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { addEnvSection, parseConfig, restoreEnvSection, writeConfigText } from '../../config/wrangler-config.js';
import { checkClientNames, datasetBoundBy, defaultWorkerProblem, type Fleet, findClient } from '../../fleet/fleet.js';
import { assertClientName, datasetName } from '../../fleet/names.js';
import { envWorkerName } from '../../fleet/shared-workers.js';
import { ensureSecretsIgnored, refuseIfTracked } from '../../secrets/git-guard.js';
import { SECRETS_FILE_MODE, sealedPathOf, secretsFileName } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { STATE_DIR_NAME } from '../../util/state-dir.js';
import { envSectionFor } from './client-section.js';
import { type KeptRemoval, latestRemoval, listRemovals, type RemovalRecord, readKeptFile, readRecord } from './removed-store.js';

export interface RestoreResult {
  client: string;
  worker: string;
  /**
   * How its section came back. `exact`: the config is again byte for byte what it was before the
   * removal. `appended`: the config changed since, so the section, byte for byte as it was written,
   * is now the last env section. `new`: an older mcp-fleet kept no copy of the section, so one was
   * written as `add` writes it. `top-level`: the top-level worker's settings never left the config.
   */
  section: 'exact' | 'appended' | 'new' | 'top-level';
  /** The secrets file brought back, or undefined when the client had none. */
  secretsFile: string | undefined;
  /** Its sealed copy brought back, or undefined when none was kept. */
  sealedFile: string | undefined;
  /** The removal it came from (its file stamp). */
  removal: string;
}

/** A client that can be restored: the newest removal of each name that is not a client now. */
export interface Restorable {
  client: string;
  removal: string;
}

export async function restorableClients(fleet: Fleet): Promise<Restorable[]> {
  const seen = new Set<string>();
  const out: Restorable[] = [];
  for (const removal of await listRemovals(fleet.dir)) {
    if (seen.has(removal.client) || findClient(fleet, removal.client)) continue;
    seen.add(removal.client);
    out.push({ client: removal.client, removal: removal.stamp });
  }
  return out.sort((a, b) => a.client.localeCompare(b.client));
}

function restorableHint(restorable: readonly Restorable[]): string {
  if (restorable.length === 0) return 'Nothing removed from this project can be restored.';
  return `Restorable: ${restorable.map((entry) => `${entry.client} (removed ${entry.removal})`).join(', ')}. Run: ${commandLine('restore', '<client>')}`;
}

/** The config text with the client's section back, and how it came back; every check of loadFleet holds for it. */
function restoredConfig(
  fleet: Fleet,
  name: string,
  record: RemovalRecord | undefined,
): { text: string; section: RestoreResult['section'] } {
  if (record?.env === null || (!record && name === fleet.topLevelName)) {
    if (fleet.topLevelName !== name)
      throw usageError(
        `${name} was the top-level worker, and the top level of ${fleet.configPath} is named ${JSON.stringify(fleet.topLevelName ?? '')} now`,
        `Give the top level "name": ${JSON.stringify(name)} again to restore it; nothing was changed.`,
      );
    const problem = defaultWorkerProblem(fleet.config);
    if (problem)
      throw usageError(`the top-level worker cannot be a client again: ${problem}`, `Fix it in ${fleet.configPath}; nothing was changed.`);
    return { text: fleet.configText, section: 'top-level' };
  }
  if (name === fleet.topLevelName)
    throw usageError(`${name} is the top-level worker's name in ${fleet.configPath} now; env.${name} cannot come back beside it`);
  let text: string;
  let section: RestoreResult['section'];
  if (record?.section) {
    const restored = restoreEnvSection(fleet.configText, name, record.section, fleet.configPath);
    text = restored.text;
    section = restored.exact ? 'exact' : 'appended';
  } else {
    const boundBy = datasetBoundBy(fleet, datasetName(name));
    if (boundBy)
      throw usageError(
        `an older mcp-fleet kept no copy of env.${name}, and the dataset a new one would bind, ${datasetName(name)}, is bound by ${boundBy} in ${fleet.configPath}; nothing was changed`,
      );
    text = addEnvSection(fleet.configText, name, envSectionFor(name, new Map(), fleet.config), fleet.configPath);
    section = 'new';
  }
  const parsed = parseConfig(text, fleet.configPath);
  checkClientNames({ ...parsed, path: fleet.configPath });
  if (record?.section) {
    // What came back must read as what went: a splice that changed its meaning is a bug, never written.
    const kept = (parseConfig(`{${record.section.property}}`, 'the kept section').config as Record<string, unknown>)[name];
    if (!isDeepStrictEqual(parsed.config.env?.[name], kept)) throw new Error(`restoring env.${name} would change what it says`);
  }
  // A top-level client stops being one when an env deploys its worker: that would take it from the fleet.
  const top = fleet.clients.find((client) => client.envName === undefined);
  if (top && defaultWorkerProblem(parsed.config))
    throw usageError(`env.${name} deploys worker ${top.workerName}, the top-level worker of client ${top.name}; nothing was changed`);
  return { text, section };
}

/** The kept secrets file must go back where nothing is: a file there (unless it is the very same bytes) or a link is refused. */
async function secretsPathFree(path: string, bytes: Buffer): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return true;
  if (info.isFile()) {
    const current = await readKeptFile(path);
    // A restore interrupted after writing the secrets file converges on the re-run.
    if (current.equals(bytes)) return false;
  }
  throw usageError(`${path} exists; restore would replace it, so nothing was changed`, 'Move it away first if it is not needed.');
}

/**
 * Brings back a removed client from its newest removal kept in .mcp-fleet/removed/: its env
 * section as written and its secrets file, byte for byte. The kept files stay where they are.
 * Everything is checked before the first write; a failed write leaves every file as it was.
 */
export async function restoreClient(fleet: Fleet, name: string): Promise<RestoreResult> {
  assertClientName(name);
  if (findClient(fleet, name)) {
    const restorable = await restorableClients(fleet);
    throw usageError(
      `${name} is a client already (in ${fleet.configPath}); nothing was changed`,
      restorable.length > 0 ? restorableHint(restorable) : undefined,
    );
  }
  const removal: KeptRemoval | undefined = await latestRemoval(fleet.dir, name);
  if (!removal)
    throw usageError(`nothing of ${name} was kept in ${STATE_DIR_NAME}/removed/`, restorableHint(await restorableClients(fleet)));
  const record = removal.recordPath ? await readRecord(removal.recordPath, name) : undefined;
  if (record?.secrets && !removal.secretsPath)
    throw usageError(`${removal.recordPath}: its secrets file ${record.secrets} is missing from ${STATE_DIR_NAME}/removed/`);
  const bytes = removal.secretsPath ? await readKeptFile(removal.secretsPath) : undefined;
  const sealedBytes = removal.sealedPath ? await readKeptFile(removal.sealedPath) : undefined;
  const config = restoredConfig(fleet, name, record);
  if (config.section === 'top-level' && !bytes && !sealedBytes)
    throw usageError(`nothing of ${name} to restore: the top-level worker is a client by its secrets file, and none was kept`);

  const secretsPath = join(fleet.dir, secretsFileName(name));
  const writeSecrets = bytes ? await secretsPathFree(secretsPath, bytes) : false;
  const sealedPath = sealedPathOf(secretsPath);
  const writeSealed = sealedBytes ? await secretsPathFree(sealedPath, sealedBytes) : false;
  if (bytes) await refuseIfTracked(fleet.dir, secretsPath);
  await ensureSecretsIgnored(fleet.dir, [`${STATE_DIR_NAME}/`]);
  if (bytes && writeSecrets) await writeFileAtomic(secretsPath, bytes, { mode: SECRETS_FILE_MODE });
  try {
    // Encrypted: committed like the other sealed copies.
    if (sealedBytes && writeSealed) await writeFileAtomic(sealedPath, sealedBytes, { mode: 0o644 });
    if (config.text !== fleet.configText) await writeConfigText(fleet.configPath, config.text);
  } catch (error) {
    if (writeSecrets) await rm(secretsPath, { force: true });
    if (writeSealed) await rm(sealedPath, { force: true });
    throw error;
  }
  const parsed = parseConfig(config.text, fleet.configPath).config;
  return {
    client: name,
    worker: config.section === 'top-level' ? name : envWorkerName(name, parsed.env?.[name] ?? {}),
    section: config.section,
    secretsFile: bytes ? secretsPath : undefined,
    sealedFile: sealedBytes ? sealedPath : undefined,
    removal: removal.stamp,
  };
}
