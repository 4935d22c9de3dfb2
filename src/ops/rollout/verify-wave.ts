import type { Target } from '../../cloudflare/target.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { systemClock } from '../../util/clock.js';
import { clientFailure } from '../client-failure.js';
import { describeFetchError } from '../verify/auth-probe.js';
import { resolveClientUrls } from '../verify/client-urls.js';
import { verifyFleet } from '../verify/verify-fleet.js';
import type { PostDeployCheck } from './results.js';

/**
 * After a wave's uploads: wait for each worker to answer (a new worker may take a moment to start,
 * a new workers.dev name to resolve), then run the verify command's checks on all of the wave's
 * workers at once, so isolation between them is checked too. Never throws: a check that cannot run
 * is a failed check.
 */
export async function verifyDeployed(fleet: Fleet, clients: readonly Client[], target: Target): Promise<Map<string, PostDeployCheck>> {
  try {
    return await verifyOrThrow(fleet, clients, target);
  } catch (error) {
    const failure = clientFailure(error);
    return new Map(clients.map((client) => [client.name, { ok: false, detail: failure.message }]));
  }
}

async function verifyOrThrow(fleet: Fleet, clients: readonly Client[], target: Target): Promise<Map<string, PostDeployCheck>> {
  const urls = await resolveClientUrls(clients, target, new Map());
  const checks = new Map<string, PostDeployCheck>();
  await Promise.all(
    clients.map(async (client) => {
      const serving = await waitUntilServing(urls.get(client.name)?.url as string);
      if (!serving.ok) checks.set(client.name, serving);
    }),
  );
  const ready = clients.filter((client) => !checks.has(client.name));
  if (ready.length === 0) return checks;
  const report = await verifyFleet({ fleet, clients: ready, target });
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

/** Polls GET /health until the worker answers 200, for up to `timeoutMs`. */
export async function waitUntilServing(url: string, options: { timeoutMs?: number } = {}): Promise<PostDeployCheck> {
  const clock = systemClock;
  const deadline = clock.now() + (options.timeoutMs ?? 30_000);
  let detail = '';
  for (;;) {
    try {
      const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(5_000), redirect: 'manual' });
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 200) return { ok: true, detail: 'GET /health answered 200' };
      detail = `GET /health answered ${response.status}`;
    } catch (error) {
      detail = `GET /health: ${describeFetchError(error, 5_000)}`;
    }
    if (clock.now() >= deadline) return { ok: false, detail: `the worker is not serving: ${detail}` };
    await clock.sleep(250);
  }
}
