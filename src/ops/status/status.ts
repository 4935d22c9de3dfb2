import type { SecretsApi } from '../../cloudflare/api.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { FleetError } from '../../util/errors.js';
import { buildBundles, buildGroups, type GroupBuild } from '../deploy/rollout/bundles.js';
import { type ClientSettings, clientSettings } from '../deploy/rollout/client-settings.js';
import { DEFAULT_CONCURRENCY } from '../fleet/defaults.js';
import type { ProgressListener } from '../fleet/progress.js';
import { forEachClient } from '../fleet/runner.js';
import { secretsStatus } from '../secrets/status.js';
import type { WorkerUrlSource } from '../verify/client-urls.js';
import { verifyFleet } from '../verify/verify-fleet.js';
import { applyRemote, type ClientStatus, emptyStatus, settleDrift } from './client-status.js';
import { type Capacity, capacityOf, expectedTag } from './drift.js';
import { type RemoteState, readRemoteState, type StatusReads } from './remote.js';

export type { ClientStatus, TrafficShare } from './client-status.js';

/**
 * `status`: per client, what runs on Cloudflare against what the project says — the worker, its
 * deployment, whether its code is the current local build, traffic split, secrets by name,
 * compatibility date, optionally verify — and how full the account is. Read-only: nothing is
 * deployed or changed; the local bundle is built (or reused from the build cache) exactly as a
 * deploy builds it, so "current" means "a deploy now would upload these very bytes".
 * API calls: 1 per command (the account's workers) and per client 1 (secret names) + 1 (deployments)
 * + 1 per version holding the running code (1; 2 during a traffic split; see remote.ts for secret
 * changes Cloudflare marks on the version only); 1 for a client without a worker.
 */

export interface BundleStatus {
  group: number;
  clients: string[];
  ok: boolean;
  tag: string | undefined;
  /** Reused from the build cache (nothing it was built from changed). */
  cached: boolean;
  failure?: string;
  durationMs: number;
}

export interface FleetStatus {
  clients: ClientStatus[];
  /** undefined when the account's workers could not be listed. */
  capacity: Capacity | undefined;
  bundles: BundleStatus[];
  /**
   * With `unconfigured`: workers in the account that no section of the config names (hand-made,
   * or left by an old offboarding), sorted; undefined without it or when the list could not be read.
   */
  notInConfig?: string[] | undefined;
}

export interface StatusOptions {
  fleet: Fleet;
  clients: readonly Client[];
  reads: StatusReads;
  /** Secret names (secrets-status.ts). */
  secretsApi: SecretsApi;
  concurrency?: number;
  workersLimit: number;
  warnShare: number;
  /** --verify: check each existing worker as `verify` does. */
  verify?: { target: WorkerUrlSource; timeoutMs?: number } | undefined;
  /** Also list the account's workers no section names (status --all); from the list read anyway. */
  unconfigured?: boolean;
  onProgress?: ProgressListener | undefined;
  /** The local build's progress (seconds when wrangler bundles, milliseconds from the cache). */
  onBuild?: ((phase: 'working' | 'done' | 'failed', detail: string) => void) | undefined;
}

/** Every worker a section of the config names: each env's, and the top level's. */
function configuredWorkers(fleet: Fleet): Set<string> {
  const names = new Set<string>();
  if (fleet.topLevelName !== undefined) names.add(fleet.topLevelName);
  for (const [key, env] of Object.entries(fleet.config.env ?? {}))
    names.add(typeof env.name === 'string' && env.name !== '' ? env.name : key);
  return names;
}

export async function fleetStatus(options: StatusOptions): Promise<FleetStatus> {
  const { fleet, reads } = options;
  const settings = new Map(options.clients.map((client) => [client.name, clientSettings(fleet, client)] as const));
  const groups = buildGroups([...settings.values()]);
  // The build (seconds cold, milliseconds from the cache) and the reads run side by side.
  const building = buildWithProgress(fleet, groups, options.onBuild);
  const scripts = reads.workers.listScripts();
  // Each client's work awaits these; a failure there fails every client, not the process.
  building.catch(() => undefined);
  scripts.catch(() => undefined);

  const results = await forEachClient<ClientStatus>({
    clients: options.clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.api,
    onProgress: options.onProgress,
    start: (client) => emptyStatus(client, settings.get(client.name) as ClientSettings),
    async work(client, result, progress) {
      progress('working', 'reading');
      // Secret names and the deployment are independent reads: side by side.
      const absent: RemoteState = { exists: false, live: undefined, codeVersions: [] };
      const [[secrets], remote] = await Promise.all([
        secretsStatus({ fleet, clients: [client], api: options.secretsApi, concurrency: 1 }),
        scripts.then((list) => (list.has(client.workerName) ? readRemoteState(reads, client.workerName) : absent)),
      ]);
      if (!secrets || secrets.error) {
        throw new FleetError(secrets?.error?.message ?? 'reading secret names failed', {
          hint: secrets?.error?.hint,
          exitCode: secrets?.error?.exitCode,
        });
      }
      const { missingRemotely, extraRemotely, missingLocally, pendingRotation, sealed, inSync } = secrets;
      result.secrets = { missingRemotely, extraRemotely, missingLocally, pendingRotation, sealed, inSync };
      applyRemote(result, remote, localBuild(settings.get(client.name) as ClientSettings, groups, await building), client.env.vars);
      progress('done', result.exists ? (result.code ?? 'read') : 'no worker');
    },
  });

  if (options.verify) await addVerify(options, results);
  for (const result of results) settleDrift(result);

  const builds = await building.catch(() => [] as GroupBuild[]);
  const capacity = await scripts.then(
    (list) => capacityOf(list.size, options.workersLimit, options.warnShare),
    () => undefined,
  );
  const named = configuredWorkers(fleet);
  const notInConfig = options.unconfigured
    ? await scripts.then(
        (list) => [...list.keys()].filter((name) => !named.has(name)).sort(),
        () => undefined,
      )
    : undefined;
  return {
    clients: results,
    capacity,
    notInConfig,
    bundles: builds.map((build) => ({
      group: build.group.index,
      clients: build.group.clients.map((entry) => entry.client.name),
      ok: build.ok,
      tag: build.ok ? expectedTag(build.bundle) : undefined,
      cached: build.cached,
      ...(build.ok ? {} : { failure: build.failure }),
      durationMs: build.durationMs,
    })),
  };
}

/** Builds the groups, saying when it starts and what came of it (a cold build takes seconds: status must not look stuck). */
async function buildWithProgress(
  fleet: Fleet,
  groups: ReturnType<typeof buildGroups>,
  onBuild: StatusOptions['onBuild'],
): Promise<GroupBuild[]> {
  if (!onBuild || groups.length === 0) return buildBundles(fleet, groups);
  onBuild('working', `bundling the worker as deploy does (wrangler; reused when nothing changed)`);
  try {
    const builds = await buildBundles(fleet, groups);
    const failed = builds.filter((build) => !build.ok);
    const words = builds.map((build) =>
      build.ok
        ? `${expectedTag(build.bundle)} ${build.cached ? 'reused from the build cache' : `built in ${(build.durationMs / 1000).toFixed(1)} s`}`
        : 'failed',
    );
    onBuild(failed.length > 0 ? 'failed' : 'done', words.join(', '));
    return builds;
  } catch (error) {
    onBuild('failed', error instanceof Error ? error.message : String(error));
    throw error;
  }
}

/** The local bundle a client would be deployed with, or why there is none to compare with. */
function localBuild(
  settings: ClientSettings,
  groups: ReturnType<typeof buildGroups>,
  builds: readonly GroupBuild[],
): { hash: string | undefined; why: string | undefined } {
  if (settings.wranglerOnly) return { hash: undefined, why: `wrangler deploy ships this client (its config ${settings.wranglerOnly})` };
  const group = groups.find((candidate) => candidate.clients.includes(settings));
  const build = builds.find((candidate) => candidate.group === group);
  if (!build) return { hash: undefined, why: 'no local build' };
  return build.ok ? { hash: build.bundle.hash, why: undefined } : { hash: undefined, why: `the local build failed: ${build.failure}` };
}

async function addVerify(options: StatusOptions, results: ClientStatus[]): Promise<void> {
  const verify = options.verify;
  const existing = options.clients.filter((client) => results.find((r) => r.client === client.name)?.exists === true);
  if (!verify || existing.length === 0) return;
  try {
    const report = await verifyFleet({
      fleet: options.fleet,
      clients: existing,
      target: verify.target,
      concurrency: options.concurrency,
      ...(verify.timeoutMs === undefined ? {} : { timeoutMs: verify.timeoutMs }),
    });
    for (const entry of report.clients) {
      const result = results.find((r) => r.client === entry.client);
      if (result) result.verify = { ok: entry.ok, failed: entry.checks.filter((check) => !check.ok).map((check) => check.name) };
    }
  } catch (error) {
    // Verify refuses to start when a secrets file lacks its key: every existing worker is then unverified.
    const detail = error instanceof Error ? error.message : String(error);
    for (const result of results) if (result.exists) result.verify = { ok: false, failed: [], detail: `not verified: ${detail}` };
  }
}
