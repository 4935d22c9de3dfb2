import type { RemoteScript, WorkersApi } from '../../../cloudflare/workers-api.js';
import type { BuiltBundle } from '../../../cloudflare/wrangler-build.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { FleetError } from '../../../util/errors.js';
import type { ProgressListener } from '../../fleet/progress.js';
import { forEachClient } from '../../fleet/runner.js';
import { assertIdentitySettings } from '../../identity/settings-check.js';
import { assertTopLevelClientId, readSecretsToSend } from '../../secrets/preflight.js';
import { type BuildGroup, buildBundles, buildGroups } from './bundles.js';
import { type ClientSettings, clientSettings } from './client-settings.js';
import { clientPlan } from './plan.js';
import type { DeployResult } from './results.js';
import { planWaves, type WaveStep } from './waves.js';

/**
 * Everything a rollout knows before it changes anything: each client's secrets (preflight), how it
 * ships (direct upload or wrangler) and in which build group, whether its worker exists (one call
 * for the whole account), the bundles (built once per group; not for --plan), and the waves.
 */

export interface WaveOptions {
  steps: readonly WaveStep[];
  canary: readonly string[] | undefined;
  /** One wave for everyone (--all-at-once, --no-verify). */
  allAtOnce: boolean;
}

export interface PreparedClient {
  client: Client;
  settings: ClientSettings;
  secrets: Map<string, string>;
  remote: RemoteScript | undefined;
  bundle: BuiltBundle | undefined;
  result: DeployResult;
}

export interface Prepared {
  /** Every selected client's result, in order (failed ones already filled in). */
  results: DeployResult[];
  groups: BuildGroup[];
  waves: PreparedClient[][];
}

export interface PrepareOptions {
  fleet: Fleet;
  clients: readonly Client[];
  api: WorkersApi;
  waves: WaveOptions;
  /** false for --plan: nothing is built. */
  build: boolean;
  onProgress?: ProgressListener | undefined;
}

export async function prepareRollout(options: PrepareOptions): Promise<Prepared> {
  const { fleet, onProgress } = options;
  const secrets = new Map<string, Map<string, string>>();
  const results = await forEachClient<DeployResult>({
    clients: options.clients,
    concurrency: options.clients.length,
    onProgress,
    queued: 'checking',
    start: (client) => emptyResult(client),
    async work(client, _result, progress) {
      assertTopLevelClientId(fleet, client);
      assertIdentitySettings(fleet, client);
      secrets.set(client.name, (await readSecretsToSend(fleet, client)).send);
      progress('queued', options.build ? 'waiting to build' : 'ready');
    },
    failedLine: (failure) => ['skipped', `not deployed: ${failure.message}`],
  });
  for (const result of results) {
    if (result.error) {
      result.outcome = 'not-deployed';
      result.why = result.error.message;
      result.plan.skip = result.error.message;
    }
  }

  const runnable = options.clients.filter((client) => secrets.has(client.name));
  const settings = runnable.map((client) => clientSettings(fleet, client));
  const groups = buildGroups(settings);
  const groupOf = new Map(groups.flatMap((group) => group.clients.map((entry) => [entry.client.name, group] as const)));
  // The builds first: they are the long pole, and the worker list can be read meanwhile.
  const building = options.build
    ? buildBundles(fleet, groups, (build) => {
        for (const entry of build.group.clients)
          onProgress?.(
            entry.client.name,
            build.ok ? 'queued' : 'failed',
            build.ok
              ? `${build.cached ? 'bundle reused (sources unchanged)' : 'built'}; waiting for its wave`
              : `build failed: ${build.failure}`,
          );
      })
    : Promise.resolve([]);
  for (const entry of settings) if (!entry.wranglerOnly && options.build) onProgress?.(entry.client.name, 'working', 'building');
  const [builds, remote] = await Promise.all([building, options.api.listScripts()]);
  const resultOf = (client: Client) => results[options.clients.indexOf(client)] as DeployResult;
  for (const entry of settings) {
    resultOf(entry.client).plan = clientPlan(entry, remote, groupOf.get(entry.client.name)?.index);
  }

  const prepared: PreparedClient[] = [];
  for (const entry of settings) {
    const result = resultOf(entry.client);
    const build = builds.find((candidate) => candidate.group === groupOf.get(entry.client.name));
    if (build && !build.ok) {
      Object.assign(result, {
        stage: 'build',
        outcome: 'not-deployed',
        why: `build failed: ${build.failure}`,
        logPath: build.logPath || undefined,
        output: build.tail,
      });
      result.error = {
        message: `building ${entry.client.name}'s bundle failed: ${build.failure}`,
        hint: withLog(build.hint, build.logPath),
        exitCode: 1,
      };
      continue;
    }
    if (build?.ok) {
      result.bundleHash = build.bundle.hash;
      result.bundleReused = build.cached;
      if (build.logPath) result.logPath = build.logPath;
    }
    const values = secrets.get(entry.client.name) as Map<string, string>;
    prepared.push({
      client: entry.client,
      settings: entry,
      secrets: values,
      remote: remote.get(entry.client.workerName),
      bundle: build?.ok ? build.bundle : undefined,
      result,
    });
  }
  if (options.build && prepared.some((entry) => entry.settings.wranglerOnly === undefined && !entry.bundle)) {
    throw new FleetError('internal: a client to upload directly has no bundle');
  }

  const waves = options.waves.allAtOnce
    ? prepared.length > 0
      ? [prepared]
      : []
    : planWaves(prepared, (entry) => entry.client.name, options.waves.steps, options.waves.canary);
  waves.forEach((wave, index) => {
    for (const entry of wave) entry.result.plan.wave = index + 1;
  });
  return { results, groups, waves };
}

function emptyResult(client: Client): DeployResult {
  return {
    client: client.name,
    worker: client.workerName,
    ok: false,
    stage: 'preflight',
    outcome: 'not-deployed',
    why: undefined,
    url: undefined,
    versionId: undefined,
    deployedVersionId: undefined,
    bundleHash: undefined,
    bundleReused: undefined,
    plan: { newWorker: undefined, method: 'api', apiCalls: 0, namesVersion: false },
    logPath: undefined,
    durationMs: undefined,
    output: undefined,
    verify: undefined,
  };
}

/** `Full output: <log>; <hint>`: the runnable part of a hint comes last, so that it can be copied as it is. */
function withLog(hint: string | undefined, logPath: string): string | undefined {
  const log = logPath ? `Full output: ${logPath}` : undefined;
  return [log, hint].filter((part) => part !== undefined).join('; ') || undefined;
}
