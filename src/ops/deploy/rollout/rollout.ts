import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AnalyticsQuery, createAnalyticsQuery } from '../../../cloudflare/analytics-sql.js';
import { type Pacer, sharedPacer } from '../../../cloudflare/pacer.js';
import type { Target } from '../../../cloudflare/target.js';
import { createWorkersApi, type WorkersApi } from '../../../cloudflare/workers-api.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { formatDuration } from '../../../util/duration.js';
import { usageError } from '../../../util/errors.js';
import { packageRoot } from '../../../util/package-root.js';
import { DEFAULT_CONCURRENCY } from '../../fleet/defaults.js';
import type { ProgressListener } from '../../fleet/progress.js';
import { forEachClient } from '../../fleet/runner.js';
import { clientUrl } from '../../verify/client-urls.js';
import type { BakeLimits } from '../bake/bake-limits.js';
import { bakeWave } from '../bake/bake-wave.js';
import { bundleAnnotations } from './bundles.js';
import { type PreparedClient, prepareRollout, type WaveOptions } from './prepare.js';
import { type DeployResult, shortId, type WaveListener } from './results.js';
import { bakeFailed, settleFailedWave } from './settle-wave.js';
import { deployUploaded, uploadDirect } from './ship-direct.js';
import { shipWithWrangler } from './ship-wrangler.js';
import { verifyDeployed } from './verify-wave.js';

/**
 * A fleet deploy as a progressive rollout: preflight and one build per build group, then wave after
 * wave — upload each client of the wave, verify the whole wave with the verify command's checks —
 * and stop at the first wave that fails: its clients go back to what they ran before (unless
 * --no-rollback), later waves are never touched. See prepare.ts for what happens before the waves.
 */

export interface RolloutOptions {
  fleet: Fleet;
  clients: readonly Client[];
  target: Target;
  /** Clients uploaded at once within a wave. */
  concurrency?: number;
  verify: boolean;
  /** Roll a failed wave back (--no-rollback turns it off). */
  rollback: boolean;
  waves: WaveOptions;
  /** `--bake`: after a wave's checks pass, hold it while its new versions serve real traffic, judged by these limits. */
  bake?: BakeLimits | undefined;
  /** Reads the bake's figures (default: the target's Analytics Engine SQL API). */
  analytics?: AnalyticsQuery;
  onProgress?: ProgressListener | undefined;
  onWave?: WaveListener | undefined;
  pacer?: Pacer;
  api?: WorkersApi;
}

export async function runRollout(options: RolloutOptions): Promise<DeployResult[]> {
  const { fleet, target, onProgress } = options;
  const pacer = options.pacer ?? sharedPacer();
  const api = options.api ?? createWorkersApi(target, { pacer });
  if (options.bake) requireDatasets(options.clients);
  const analytics = options.bake ? (options.analytics ?? createAnalyticsQuery(target, { pacer })) : undefined;
  const prepared = await prepareRollout({ fleet, clients: options.clients, api, waves: options.waves, build: true, onProgress });
  const fleetVersion = mcpFleetVersion();
  const total = prepared.waves.length;
  for (const [index, wave] of prepared.waves.entries()) {
    for (const entry of wave) onProgress?.(entry.client.name, 'queued', `wave ${index + 1}/${total}`);
  }

  for (const [index, wave] of prepared.waves.entries()) {
    const number = index + 1;
    const say = (phase: Parameters<WaveListener>[2], detail: string) => options.onWave?.(number, total, phase, detail);
    say('working', `${clients(wave.length)}: uploading`);
    const shipped = await shipWave(wave, { ...options, api, pacer, fleetVersion, waveLabel: `wave ${number}/${total}` });
    const liveSince = Date.now();
    const failedShip = wave.filter((entry) => entry.result.error !== undefined);
    if (options.verify && shipped.length > 0) {
      say('working', `${clients(wave.length)}: ${shipped.length} deployed, verifying`);
      for (const entry of shipped) onProgress?.(entry.client.name, 'working', 'verifying');
      const checks = await verifyDeployed(
        fleet,
        shipped.map((entry) => entry.client),
        target,
        new Map(shipped.map((entry) => [entry.client.name, entry.result.versionId])),
        (client, detail) => onProgress?.(client, 'working', detail),
      );
      for (const entry of shipped) entry.result.verify = checks.get(entry.client.name) ?? { ok: false, detail: 'not verified' };
    }
    let failedVerify = shipped.filter((entry) => entry.result.verify && !entry.result.verify.ok);
    const bake = options.bake;
    if (bake && analytics && failedShip.length === 0 && failedVerify.length === 0 && shipped.length > 0) {
      say('working', `${clients(wave.length)}: verified; baking ${formatDuration(bake.seconds)} on real traffic`);
      for (const entry of shipped) onProgress?.(entry.client.name, 'working', `verified; baking ${formatDuration(bake.seconds)}`);
      const judged = await bakeWave({
        entries: shipped.map((entry) => ({
          client: entry.client,
          versionId: entry.result.plan.namesVersion ? entry.result.versionId : undefined,
        })),
        limits: bake,
        query: analytics,
        liveSince,
        onProgress: (client, detail) => onProgress?.(client, 'working', detail),
      });
      for (const entry of shipped) {
        const judgement = judged.get(entry.client.name);
        if (judgement) entry.result.bake = judgement;
      }
      failedVerify = shipped.filter(bakeFailed);
    }
    if (failedShip.length === 0 && failedVerify.length === 0) {
      for (const entry of shipped) finishDeployed(entry, options.verify, `wave ${number}/${total}`, onProgress);
      const baked = bake ? `, baked ${formatDuration(bake.seconds)} (${bakeSummary(shipped)})` : '';
      say('done', `${clients(wave.length)}: ${shipped.length} deployed${options.verify ? `, ${shipped.length} verified` : ''}${baked}`);
      continue;
    }
    await settleFailedWave({ api, wave, shipped, failedShip, failedVerify, rollback: options.rollback, number, total, onProgress });
    say(
      'failed',
      `${clients(wave.length)}: ${failedShip.length} failed to deploy, ${failedVerify.length} failed ${shipped.some(bakeFailed) ? 'the bake' : 'verification'}${failedVerify.length > 0 ? (options.rollback ? '; wave rolled back' : '; kept (--no-rollback)') : ''}`,
    );
    for (const [later, rest] of prepared.waves.entries()) {
      if (later <= index) continue;
      options.onWave?.(later + 1, total, 'skipped', 'not started: the rollout halted');
      for (const entry of rest) {
        const why = `not started: the rollout halted at wave ${number}/${total}`;
        // Not a failure of its own (no error): the failed wave's clients carry that, and the exit code.
        Object.assign(entry.result, { outcome: 'not-started', why, stage: 'deploy' });
        onProgress?.(entry.client.name, 'skipped', why);
      }
    }
    break;
  }
  return prepared.results;
}

interface ShipContext extends RolloutOptions {
  api: WorkersApi;
  pacer: Pacer;
  fleetVersion: string;
  waveLabel: string;
}

/**
 * Ships a wave's clients in two steps: every upload first (direct uploads and wrangler deploys side by
 * side, each with its own concurrency), then the deployments of the uploaded versions all at once, so
 * the wave goes live together. Returns the clients that shipped.
 */
async function shipWave(wave: readonly PreparedClient[], context: ShipContext): Promise<PreparedClient[]> {
  const concurrency = context.concurrency ?? DEFAULT_CONCURRENCY.upload;
  const byClient = new Map(wave.map((entry) => [entry.client.name, entry]));
  const started = Date.now();
  const pending: PreparedClient[] = [];
  const run = (
    entries: readonly PreparedClient[],
    limit: number,
    step: (entry: PreparedClient, result: DeployResult, say: (detail: string) => void) => Promise<void>,
  ) =>
    forEachClient<DeployResult>({
      clients: entries.map((entry) => entry.client),
      concurrency: limit,
      onProgress: context.onProgress,
      start: (client) => (byClient.get(client.name) as PreparedClient).result,
      work: (client, result, progress) =>
        step(byClient.get(client.name) as PreparedClient, result, (detail) => progress('working', `${context.waveLabel} · ${detail}`)),
      failedLine: (failure) => ['failed', `not deployed: ${failure.message}`],
    });
  const wrangler = wave.filter((entry) => entry.settings.wranglerOnly !== undefined);
  const direct = wave.filter((entry) => !wrangler.includes(entry));
  await Promise.all([
    run(direct, concurrency, async (entry, result, say) => {
      result.stage = 'deploy';
      const uploaded = await uploadDirect({ ...shipOptions(entry, context), progress: say });
      Object.assign(result, { deployedVersionId: uploaded.versionId, versionId: uploaded.live ? uploaded.versionId : result.versionId });
      result.plan.newWorker = uploaded.newWorker;
      if (uploaded.live) return finishShipped(entry, context, started, say);
      pending.push(entry);
      say(`uploaded ${shortId(uploaded.versionId)}; deploying with its wave`);
    }),
    run(wrangler, Math.min(concurrency, DEFAULT_CONCURRENCY.deploy), async (entry, result, say) => {
      result.stage = 'deploy';
      result.deployedVersionId = await shipWithWrangler({
        ...context,
        client: entry.client,
        secrets: entry.secrets,
        result,
        progress: say,
      });
      result.versionId = result.deployedVersionId;
      await finishShipped(entry, context, started, say);
    }),
  ]);
  // Deployments are small; all of the wave's at once, so it goes live together.
  await run(pending, Math.max(1, pending.length), async (entry, result, say) => {
    say('deploying');
    await deployUploaded(shipOptions(entry, context), result.deployedVersionId as string);
    result.versionId = result.deployedVersionId;
    await finishShipped(entry, context, started, say);
  });
  for (const entry of wave) if (entry.result.error) entry.result.outcome = 'not-deployed';
  return wave.filter((entry) => entry.result.error === undefined);
}

function shipOptions(entry: PreparedClient, context: ShipContext) {
  const bundle = entry.bundle as NonNullable<PreparedClient['bundle']>;
  return {
    api: context.api,
    settings: entry.settings,
    bundle,
    secrets: entry.secrets,
    remote: entry.remote,
    annotations: bundleAnnotations(bundle, context.fleetVersion),
  };
}

async function finishShipped(entry: PreparedClient, context: ShipContext, started: number, say: (detail: string) => void): Promise<void> {
  const { result } = entry;
  result.durationMs = Date.now() - started;
  result.url = (await clientUrl(entry.client, context.target, new Map())).url;
  const deployed = `deployed ${shortId(result.versionId)} (${(result.durationMs / 1000).toFixed(1)} s)`;
  if (context.verify) {
    result.stage = 'verify';
    say(`${deployed}; waiting to verify`);
  }
}

function finishDeployed(entry: PreparedClient, verified: boolean, wave: string, onProgress: ProgressListener | undefined): void {
  const { result } = entry;
  const baked = result.bake ? `; bake ${result.bake.detail}` : '';
  Object.assign(result, {
    ok: true,
    stage: 'done',
    outcome: 'deployed',
    why: verified ? `${wave} verified${baked}` : `${wave}, not verified (--no-verify)`,
  });
  onProgress?.(
    entry.client.name,
    'done',
    `deployed ${shortId(result.versionId)}${verified ? ', verified' : ''}${result.bake ? `, bake ${result.bake.verdict.replaceAll('-', ' ')}` : ''} (${((result.durationMs ?? 0) / 1000).toFixed(1)} s)`,
  );
}

/** A bake needs each client's own figures: a client whose section binds no dataset could never be judged. */
function requireDatasets(clients: readonly Client[]): void {
  const blind = clients.filter((client) => client.dataset === undefined).map((client) => client.name);
  if (blind.length === 0) return;
  throw usageError(
    `--bake reads each client's Analytics Engine dataset, and ${blind.join(', ')} bind${blind.length === 1 ? 's' : ''} none as ANALYTICS`,
    `Add "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "<client>_metrics" }] to ${blind.length === 1 ? 'its section' : 'their sections'} in wrangler.jsonc (mcp-fleet add writes it), or deploy them without --bake.`,
  );
}

function bakeSummary(entries: readonly PreparedClient[]): string {
  const verdicts = new Map<string, number>();
  for (const entry of entries) {
    const verdict = entry.result.bake?.verdict ?? 'not baked';
    verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
  }
  return [...verdicts].map(([verdict, n]) => `${n} ${verdict.replaceAll('-', ' ')}`).join(', ');
}

function clients(count: number): string {
  return `${count} client${count === 1 ? '' : 's'}`;
}

let version: string | undefined;
function mcpFleetVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
