import { join } from 'node:path';
import type { AuthMode } from '../../config/auth-modes.js';
import { defaultWorkerProblem, type Fleet } from '../../fleet/fleet.js';
import { envNameProblem } from '../../fleet/names.js';
import { readSecretsFile, secretsFileName } from '../../secrets/secrets-file.js';
import { checkCompleteness } from '../../secrets/template.js';
import { describeError } from '../../util/errors.js';
import { exists } from '../../util/files.js';
import { clientModes } from '../identity/store.js';

export interface ClientListing {
  client: string;
  /** The wrangler env that deploys it; null for the top-level (default) worker. */
  env: string | null;
  worker: string;
  dataset: string | null;
  url: string | null;
  /** How callers prove who they are (vars.AUTH_MODES; the key alone without it). */
  auth: AuthMode[];
  secrets: {
    /** present: the file exists and parses; absent: no file; invalid: it does not parse. */
    file: 'present' | 'absent' | 'invalid';
    missing: string[];
    empty: string[];
    error?: string;
  };
}

/** What list shows for every client; reads files only (URLs come from an optional resolver). */
export async function listClients(fleet: Fleet, urlOf?: (worker: string) => Promise<string>): Promise<ClientListing[]> {
  return Promise.all(
    fleet.clients.map(async (client): Promise<ClientListing> => {
      let secrets: ClientListing['secrets'];
      try {
        const file = await readSecretsFile(client.secretsPath);
        secrets = file
          ? { file: 'present', ...checkCompleteness(fleet.requiredKeys, file.values) }
          : { file: 'absent', missing: [...fleet.requiredKeys], empty: [] };
      } catch (error) {
        secrets = { file: 'invalid', missing: [], empty: [], error: describeError(error) };
      }
      const url = urlOf ? await urlOf(client.workerName).catch(() => null) : null;
      return {
        client: client.name,
        env: client.envName ?? null,
        worker: client.workerName,
        dataset: client.dataset ?? null,
        url,
        auth: clientModes(client),
        secrets,
      };
    }),
  );
}

/**
 * Why a top-level worker with a secrets file of its name is still not a client (an env clashes
 * with it), so the file is not silently ignored; undefined otherwise. An invalid name is never
 * looked up as a file.
 */
export async function topLevelNotice(fleet: Fleet): Promise<string | undefined> {
  const name = fleet.topLevelName;
  if (name === undefined || envNameProblem(name) !== undefined) return undefined;
  if (fleet.clients.some((client) => client.envName === undefined)) return undefined;
  const problem = defaultWorkerProblem(fleet.config);
  const file = secretsFileName(name);
  if (problem === undefined || !(await exists(join(fleet.dir, file)))) return undefined;
  return `${file} is there, but the top-level worker ${name} is not a client: ${problem}`;
}
