import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfigText, removeEnvSection, writeConfigText } from '../../config/wrangler-config.js';
import { clientsHint, type Fleet, findClient } from '../../fleet/fleet.js';
import { readSecretsFile } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { exists } from '../../util/files.js';
import { ensureStateDir, fileStamp, statePaths } from '../../util/state-dir.js';

export interface RemoveResult {
  client: string;
  /** Where the secrets file was moved (recoverable), or undefined when there was none. */
  secretsKeptAt: string | undefined;
  /** False for the top-level worker: its settings stay, only its secrets file is kept aside. */
  configChanged: boolean;
}

/** Offboards a client locally: its env section goes, its secrets file is kept aside, never deleted. */
export async function removeClient(fleet: Fleet, name: string): Promise<RemoveResult> {
  const client = findClient(fleet, name);
  if (!client) {
    throw usageError(`${name} is not a client (no env.${name} in ${fleet.configPath})`, clientsHint(fleet, [name]));
  }
  // The top-level worker stays in the config (it is the project's own); it stops being a client
  // when its secrets file goes.
  const configText = client.envName === undefined ? undefined : removeEnvSection(fleet.configText, client.envName, fleet.configPath);
  if (configText !== undefined) parseConfigText(configText, fleet.configPath);

  let secretsKeptAt: string | undefined;
  if (await exists(client.secretsPath)) {
    // A malformed file is still moved: it is the only copy of the client's credentials.
    await readSecretsFile(client.secretsPath).catch(() => undefined);
    const removed = await ensureStateDir(fleet.dir, statePaths.removed(fleet.dir));
    secretsKeptAt = join(removed, `${name}.${fileStamp()}.secrets`);
    await rename(client.secretsPath, secretsKeptAt);
  }
  try {
    if (configText !== undefined) await writeConfigText(fleet.configPath, configText);
  } catch (error) {
    if (secretsKeptAt) await rename(secretsKeptAt, client.secretsPath);
    throw error;
  }
  return { client: name, secretsKeptAt, configChanged: configText !== undefined };
}
