import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Pacer, sharedPacer } from '../../../cloudflare/pacer.js';
import type { Target } from '../../../cloudflare/target.js';
import { createVersionReads, type VersionReads } from '../../../cloudflare/version-reads.js';
import { createWorkersApi, type WorkersApi } from '../../../cloudflare/workers-api.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { FleetError } from '../../../util/errors.js';
import { commandLine } from '../../../util/next-step.js';
import { packageRoot } from '../../../util/package-root.js';
import { DEFAULT_CONCURRENCY } from '../../fleet/defaults.js';
import type { ProgressListener } from '../../fleet/progress.js';
import { forEachClient } from '../../fleet/runner.js';
import { clientUrl } from '../../verify/client-urls.js';
import { bundleAnnotations, bundleTag } from '../rollout/bundles.js';
import { type PreparedClient, prepareRollout } from '../rollout/prepare.js';
import { type DeployResult, shortId } from '../rollout/results.js';
import { rollbackClient } from '../rollout/rollback-client.js';
import { uploadDirect } from '../rollout/ship-direct.js';
import { verifyDeployed } from '../rollout/verify-wave.js';
import { liveSplit, soleVersion, splitVersions } from './split.js';

/**
 * A dark launch (a Cloudflare gradual deployment) for each client, all clients at once:
 * - `--percent N` on a worker running one version: list its deployments, upload the new version
 *   (code and secrets, as deploy does), deploy it at N % beside the old one at the rest — 3 calls;
 * - `--percent N` during a split: the newer version's code tag is read; when it is the bundle's, the
 *   split moves and nothing is uploaded — 3 calls; when the code changed, the new code is uploaded
 *   and takes the newer version's place beside the same old one — 4 calls;
 * - `--promote`: the newer version of the split at 100 % — 2 calls.
 * Plus one call for the account's worker list. The checks then run on the new version, pinned to
 * it with the version override header; after --promote they wait for it to answer, as a deploy does.
 */

export interface DarkLaunchOptions {
  fleet: Fleet;
  clients: readonly Client[];
  target: Target;
  /** 1..99, or undefined with promote. */
  percent: number | undefined;
  promote: boolean;
  verify: boolean;
  /** A split whose new version fails its checks goes back to the old one (default; --no-rollback keeps it). */
  rollback?: boolean;
  concurrency?: number | undefined;
  onProgress?: ProgressListener | undefined;
  pacer?: Pacer;
  api?: WorkersApi;
  versions?: Pick<VersionReads, 'getVersion'>;
}

export async function runDarkLaunch(options: DarkLaunchOptions): Promise<DeployResult[]> {
  const pacer = options.pacer ?? sharedPacer();
  const api = options.api ?? createWorkersApi(options.target, { pacer });
  const versions = options.versions ?? createVersionReads(options.target, { pacer });
  const waves = { steps: [], canary: undefined, allAtOnce: true };
  const prepared = await prepareRollout({ ...options, api, waves, build: !options.promote });
  const entries = prepared.waves.flat();
  const byName = new Map(entries.map((entry) => [entry.client.name, entry]));
  const fleetVersion = mcpFleetVersion();
  await forEachClient<DeployResult>({
    clients: entries.map((entry) => entry.client),
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.upload,
    onProgress: options.onProgress,
    start: (client) => (byName.get(client.name) as PreparedClient).result,
    work: async (client, result, progress) => {
      result.stage = 'deploy';
      const entry = byName.get(client.name) as PreparedClient;
      const say = (detail: string) => progress('working', detail);
      const shares = await shipSplit(entry, { api, versions, options, fleetVersion, say });
      Object.assign(result, { versionId: shares.newer, deployedVersionId: shares.newer, why: shares.why });
      result.url = (await clientUrl(client, options.target, new Map())).url;
      say(shares.why);
    },
    failedLine: (failure) => ['failed', `not deployed: ${failure.message}`],
  });
  const shipped = entries.filter((entry) => entry.result.error === undefined);
  for (const entry of entries) if (entry.result.error) entry.result.outcome = 'not-deployed';
  if (options.verify && shipped.length > 0) {
    // On a split the checks are pinned to the newer version (Cloudflare's version override header):
    // a request left to the split could land on the old one and prove nothing about the new.
    const newer = new Map(shipped.map((entry) => [entry.client.name, entry.result.versionId as string]));
    const checks = await verifyDeployed(
      options.fleet,
      shipped.map((entry) => entry.client),
      options.target,
      newer,
      undefined,
      options.promote ? new Map() : newer,
    );
    for (const entry of shipped) {
      const check = checks.get(entry.client.name) ?? { ok: false, detail: 'not verified' };
      entry.result.verify = options.promote ? check : { ok: check.ok, detail: `checked on the new version: ${check.detail}` };
    }
  }
  for (const entry of shipped) {
    const { result } = entry;
    const failed = result.verify !== undefined && !result.verify.ok;
    Object.assign(result, { ok: !failed, stage: failed ? 'verify' : 'done', outcome: failed ? 'kept' : 'deployed' });
    if (failed)
      result.error = { message: `${entry.client.name}: ${result.why}, but verification failed: ${result.verify?.detail}`, exitCode: 1 };
    if (failed && options.rollback !== false && !options.promote) await backFromSplit(entry, api, options);
    else options.onProgress?.(entry.client.name, failed ? 'failed' : 'done', `${result.why}${failed ? ', verification failed' : ''}`);
  }
  return prepared.results;
}

/**
 * The checks were pinned to the new version and it failed them: all traffic goes back to the
 * version the split started from (as `rollback` does during a split), unless --no-rollback.
 */
async function backFromSplit(entry: PreparedClient, api: WorkersApi, options: DarkLaunchOptions): Promise<void> {
  const { result } = entry;
  const say = (phase: 'working' | 'failed' | 'skipped', detail: string) => options.onProgress?.(entry.client.name, phase, detail);
  try {
    const back = await rollbackClient({
      api,
      worker: entry.client.workerName,
      target: { from: result.deployedVersionId },
      currentSecrets: async () => entry.secrets,
      reason: 'dark launch failed verification',
      progress: (detail) => say('working', `rolling back: ${detail}`),
    });
    result.versionId = back.versionId;
    result.outcome = 'rolled-back';
    result.why = `the new version failed verification (${result.verify?.detail}); all traffic back on ${shortId(back.versionId)}`;
    result.error = { message: result.why, hint: `Look closer: ${commandLine('verify', entry.client.name)}`, exitCode: 1 };
    say('skipped', `rolled back to ${shortId(back.versionId)}`);
  } catch (error) {
    result.outcome = 'failed';
    result.why = `the new version failed verification, and rolling back failed (${error instanceof Error ? error.message : String(error)}); the split may still run`;
    result.error = { message: result.why, exitCode: 1 };
    say('failed', 'rollback failed');
  }
}

interface ShipContext {
  api: WorkersApi;
  versions: Pick<VersionReads, 'getVersion'>;
  options: DarkLaunchOptions;
  fleetVersion: string;
  say: (detail: string) => void;
}

async function shipSplit(entry: PreparedClient, context: ShipContext): Promise<{ newer: string; why: string }> {
  const { api, options } = context;
  const worker = entry.client.workerName;
  if (entry.settings.wranglerOnly !== undefined)
    throw new FleetError(
      `${entry.client.name} ships through wrangler (${entry.settings.wranglerOnly}); a dark launch needs the direct upload`,
    );
  if (!entry.remote)
    throw new FleetError(`worker ${worker} does not exist yet: there is no old version to split with`, {
      hint: `Deploy it first: ${commandLine('deploy', entry.client.name)}.`,
    });
  context.say('reading deployments');
  const deployments = await api.listDeployments(worker);
  const split = liveSplit(deployments);
  const message = (text: string) => text.slice(0, 100);
  if (options.promote) {
    if (!split)
      throw new FleetError(`${entry.client.name} runs one version: nothing to promote`, {
        hint: `Start a dark launch first: ${commandLine('deploy', entry.client.name, '--percent', '10')}.`,
      });
    const newer = split.newer.version_id;
    context.say(`promoting ${shortId(newer)}`);
    await deployOrThrow(api, worker, [{ version_id: newer, percentage: 100 }], message(`mcp-fleet promote ${newer}`));
    return { newer, why: `promoted ${shortId(newer)} to 100 %` };
  }
  const percent = options.percent as number;
  const bundle = entry.bundle as NonNullable<PreparedClient['bundle']>;
  const older = split ? split.older.version_id : soleVersion(deployments);
  if (!older) throw new FleetError(`worker ${worker} has no live deployment to split with`);
  let newer = split?.newer.version_id;
  if (newer !== undefined) {
    // The same code moves the split; new code replaces the newer version (the old one stays).
    context.say(`reading version ${shortId(newer)}`);
    const running = await context.versions.getVersion(worker, newer);
    if (running.annotations['workers/tag'] !== bundleTag(bundle.hash)) newer = undefined;
  }
  if (newer === undefined) {
    const uploaded = await uploadDirect({
      api,
      settings: entry.settings,
      bundle,
      secrets: entry.secrets,
      remote: entry.remote,
      annotations: bundleAnnotations(bundle, context.fleetVersion),
      progress: context.say,
    });
    newer = uploaded.versionId;
  }
  context.say(`deploying ${shortId(newer)} at ${percent} %`);
  await deployOrThrow(api, worker, splitVersions(newer, older, percent), message(`mcp-fleet dark launch ${percent}%`));
  return { newer, why: `${shortId(newer)} at ${percent} %, ${shortId(older)} at ${100 - percent} %` };
}

async function deployOrThrow(api: WorkersApi, worker: string, versions: Parameters<WorkersApi['deploy']>[1], message: string) {
  if ((await api.deploy(worker, versions, message)) !== 'ok')
    throw new FleetError(`deploying worker ${worker}: Cloudflare refused the split (10220: the versions' secrets differ)`, {
      hint: `Deploy without --percent: ${commandLine('deploy', '<client>')}.`,
    });
}

let version: string | undefined;
function mcpFleetVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
