import { basename } from 'node:path';
import type { SecretsApi } from '../../../cloudflare/api.js';
import { isCloudflareApiError } from '../../../cloudflare/api.js';
import { API_KEY, type Client, type Fleet } from '../../../fleet/fleet.js';
import { FleetError } from '../../../util/errors.js';
import { commandLine } from '../../../util/next-step.js';
import { TIMEOUT_MS } from '../../../util/timeouts.js';
import { keyAccepted } from '../../verify/auth-probe.js';
import { clientUrl } from '../../verify/client-urls.js';
import { clearPendingRotation } from './pending.js';

export interface PushFailureContext {
  fleet: Fleet;
  api: SecretsApi;
  client: Client;
  key: string;
  newValue: string;
  oldValue: string | undefined;
  resumed: boolean;
  pendingPath: string;
}

/**
 * Says exactly where the live value is after a failed push, and cleans up when nothing can have
 * changed. `changed` is 'no' only when the API refused the request outright in a fresh run.
 */
export async function pushFailure(error: unknown, context: PushFailureContext): Promise<{ error: FleetError; changed: 'no' | 'unknown' }> {
  const { client, key } = context;
  const fileName = basename(client.secretsPath);
  const reason = error instanceof Error ? error.message : String(error);
  const definitelyNotApplied = isCloudflareApiError(error) && error.applied === 'no';
  if (definitelyNotApplied && !context.resumed) {
    await clearPendingRotation(context.fleet.dir, client.name);
    const refused = new FleetError(
      `${client.name}: pushing the new ${key} failed; nothing changed — the worker and ${fileName} still have the previous value`,
      {
        hint: `${reason}${isCloudflareApiError(error) && error.hint ? ` — ${error.hint}` : ''}`,
      },
    );
    return { error: refused, changed: 'no' };
  }
  let live = `either the previous ${key} (in ${fileName}) or the new one (kept in ${context.pendingPath})`;
  if (key === API_KEY) {
    // One look, to say which one the worker uses right now; the record stays either way, since a lost answer may still land.
    const url = await clientUrl(client, context.api.target, new Map()).then(
      (entry) => entry.url,
      () => undefined,
    );
    if (url) {
      const [fresh, previous] = await Promise.all([
        keyAccepted(url, context.newValue, { timeoutMs: TIMEOUT_MS.probe, label: 'with the new key' }),
        context.oldValue === undefined
          ? Promise.resolve(undefined)
          : keyAccepted(url, context.oldValue, { timeoutMs: TIMEOUT_MS.probe, label: 'with the previous key' }),
      ]);
      if (fresh.accepted) live = `the new ${key} (kept in ${context.pendingPath}; not yet in ${fileName})`;
      else if (previous?.accepted) live = `the previous ${key} (in ${fileName}) for now`;
    }
  }
  const unknown = new FleetError(`${client.name}: pushing the new ${key} failed (${reason}); the worker has ${live}`, {
    hint: `Re-run ${key === API_KEY ? commandLine('secrets', 'rotate', client.name) : commandLine('secrets', 'rotate', client.name, '--key', key)} to finish: it pushes that same new value again and saves it.`,
  });
  return { error: unknown, changed: 'unknown' };
}
