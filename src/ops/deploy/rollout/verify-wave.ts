import type { Target } from '../../../cloudflare/target.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { systemClock } from '../../../util/clock.js';
import { TIMEOUT_MS } from '../../../util/timeouts.js';
import { clientFailure } from '../../fleet/client-failure.js';
import { describeFetchError } from '../../verify/auth-probe.js';
import { resolveClientUrls } from '../../verify/client-urls.js';
import { probeHeaders, withVersionPin } from '../../verify/probe-agent.js';
import { verifyFleet } from '../../verify/verify-fleet.js';
import type { PostDeployCheck } from './results.js';

/**
 * After a wave's uploads: wait for each worker to answer (a new worker may take a moment to start,
 * a new workers.dev name to resolve) — with the version just deployed, when its /health names its
 * version (a new deployment reaches Cloudflare's locations over seconds, and checks answered by the
 * old code would prove nothing) — then run the verify command's checks on all of the wave's workers
 * at once, so isolation between them is checked too. Never throws: a check that cannot run is a
 * failed check.
 */
export async function verifyDeployed(
  fleet: Fleet,
  clients: readonly Client[],
  target: Target,
  /** The version each client should now run, by client name. */
  versions: ReadonlyMap<string, string | undefined> = new Map(),
  /** Said once per client while the old version still answers. */
  onWaiting?: (client: string, detail: string) => void,
  /** Clients on a split: every check of theirs is pinned to this version (the override header). */
  pins: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, PostDeployCheck>> {
  try {
    return await verifyOrThrow(fleet, clients, target, versions, onWaiting, pins);
  } catch (error) {
    const failure = clientFailure(error);
    return new Map(clients.map((client) => [client.name, { ok: false, detail: failure.message }]));
  }
}

async function verifyOrThrow(
  fleet: Fleet,
  clients: readonly Client[],
  target: Target,
  versions: ReadonlyMap<string, string | undefined>,
  onWaiting: ((client: string, detail: string) => void) | undefined,
  pins: ReadonlyMap<string, string>,
): Promise<Map<string, PostDeployCheck>> {
  const urls = await resolveClientUrls(clients, target, new Map());
  const checks = new Map<string, PostDeployCheck>();
  await Promise.all(
    clients.map(async (client) => {
      const pinned = pins.get(client.name);
      const serving = await withVersionPin(pinned === undefined ? undefined : { worker: client.workerName, versionId: pinned }, () =>
        waitUntilServing(urls.get(client.name)?.url as string, {
          versionId: pinned ?? versions.get(client.name),
          onWaiting: onWaiting && ((detail) => onWaiting(client.name, detail)),
        }),
      );
      if (!serving.ok) checks.set(client.name, serving);
    }),
  );
  const ready = clients.filter((client) => !checks.has(client.name));
  if (ready.length === 0) return checks;
  const report = await verifyFleet({ fleet, clients: ready, target, pins });
  for (const entry of report.clients) {
    const failed = entry.checks.filter((check) => !check.ok);
    checks.set(entry.client, {
      ok: entry.ok,
      detail: entry.ok
        ? `${entry.checks.map((check) => check.name).join(', ')} passed`
        : failed.map((check) => `${check.name}: ${check.detail}`).join('; '),
    });
  }
  return checks;
}

/**
 * Polls GET /health until the worker answers 200 — and, when `versionId` is given and the worker
 * names its version (`versionId` in the body: the template's version_metadata binding), until it
 * names that one — for up to `timeoutMs`. A worker that names no version is taken at its 200.
 */
export async function waitUntilServing(
  url: string,
  options: { timeoutMs?: number; versionId?: string | undefined; onWaiting?: (detail: string) => void } = {},
): Promise<PostDeployCheck> {
  const clock = systemClock;
  const deadline = clock.now() + (options.timeoutMs ?? TIMEOUT_MS.propagation);
  let detail = '';
  let said = false;
  for (;;) {
    try {
      const response = await fetch(new URL('/health', url), {
        headers: probeHeaders(),
        signal: AbortSignal.timeout(TIMEOUT_MS.probe),
        redirect: 'manual',
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        detail = `GET /health answered ${response.status}`;
      } else {
        const serving = servedVersion(await response.text().catch(() => ''));
        if (serving === undefined) return { ok: true, detail: 'GET /health answered 200' };
        if (options.versionId === undefined || serving === options.versionId)
          return { ok: true, detail: `GET /health answered 200 from ${serving.slice(0, 8)}` };
        detail = `still answered by version ${serving.slice(0, 8)}, not the new ${options.versionId.slice(0, 8)}`;
        if (!said) options.onWaiting?.(`waiting for ${options.versionId.slice(0, 8)} to answer (the old version still does)`);
        said = true;
      }
    } catch (error) {
      detail = `GET /health: ${describeFetchError(error, TIMEOUT_MS.probe)}`;
    }
    if (clock.now() >= deadline) return { ok: false, detail: `the worker is not serving: ${detail}` };
    await clock.sleep(250);
  }
}

/** The version a /health body names, if it names one (a string id; anything else is no answer). */
function servedVersion(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { versionId?: unknown };
    return typeof parsed?.versionId === 'string' && parsed.versionId !== '' ? parsed.versionId : undefined;
  } catch {
    return undefined;
  }
}
