import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AnalyticsQuery, createAnalyticsQuery } from '../../../cloudflare/analytics-sql.js';
import { type Pacer, sharedPacer } from '../../../cloudflare/pacer.js';
import type { Target } from '../../../cloudflare/target.js';
import { createWorkersApi, type WorkersApi } from '../../../cloudflare/workers-api.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { formatDuration } from '../../../util/duration.js';
import { FleetError } from '../../../util/errors.js';
import { commandLine } from '../../../util/next-step.js';
import { packageRoot } from '../../../util/package-root.js';
import { DEFAULT_CONCURRENCY } from '../../fleet/defaults.js';
import type { ProgressListener } from '../../fleet/progress.js';
import { forEachClient } from '../../fleet/runner.js';
import { clientUrl } from '../../verify/client-urls.js';
import type { BakeLimits } from '../bake/bake-limits.js';
import { soleVersion, splitVersions } from '../split/split.js';
import { bundleAnnotations } from './bundles.js';
import { bakeSummary, clients, judgeStep, requireDatasets, type StepJudge } from './judge-step.js';
import { type PreparedClient, prepareRollout, type WaveOptions } from './prepare.js';
import { type DeployResult, shortId, type WaveListener } from './results.js';
import { bakeFailed, settleFailedWave } from './settle-wave.js';
import { deployUploaded, uploadDirect } from './ship-direct.js';
import { shipWithWrangler } from './ship-wrangler.js';

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
  /** `--ramp 10,50`: each wave's existing workers take these shares of their traffic, judged at each, before 100 %. */
  ramp?: readonly number[] | undefined;
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
    const label = `wave ${number}/${total}`;
    const say = (phase: Parameters<WaveListener>[2], detail: string) => options.onWave?.(number, total, phase, detail);
    say('working', `${clients(wave.length)}: uploading`);
    const ramp = options.ramp ?? [];
    const context: ShipContext = { ...options, api, pacer, fleetVersion, waveLabel: label, hold: ramp.length > 0 };
    const { shipped, held } = await shipWave(wave, context);
    // The clients a ramp takes step by step; the others (new workers, wrangler's) went live at 100 %.
    const rampable = held.length > 0 ? ramp : [];
    // A wave that failed to upload halts anyway: its bake would only hold the halt back.
    const bake = wave.some((entry) => entry.result.error !== undefined) ? undefined : options.bake;
    const judge: StepJudge = { fleet, target, verify: options.verify, bake, analytics, onProgress, say };
    let failedVerify: PreparedClient[] = [];
    let midRamp: number | undefined;
    const liveSince = Date.now();
    for (const percent of [...rampable, 100]) {
      if (held.length > 0) {
        say('working', `${clients(wave.length)}: deploying ${percent === 100 ? 'at 100 %' : `the new version at ${percent} % of traffic`}`);
        await deployStep(held, percent, context, Date.now());
        const live = [...shipped, ...held.filter((entry) => entry.result.error === undefined)];
        if (live.length < shipped.length + held.length) {
          // A step that did not deploy everywhere: the ramp stops, and those split go back (settleFailedWave).
          if (percent < 100) midRamp = percent;
          shipped.splice(0, shipped.length, ...live);
          break;
        }
        if (percent === 100) shipped.push(...held);
      }
      const split = percent < 100 ? held : [];
      failedVerify = await judgeStep([...shipped, ...split], split, judge, percent < 100 ? percent : undefined, liveSince);
      if (failedVerify.length > 0) {
        if (percent < 100) shipped.push(...held);
        break;
      }
    }
    for (const entry of wave) if (entry.result.error) entry.result.outcome = 'not-deployed';
    const failedShip = wave.filter((entry) => entry.result.error !== undefined);
    if (failedShip.length === 0 && failedVerify.length === 0) {
      const steps = rampable.length > 0 ? ` at ${[...rampable, 100].join(' %, ')} %` : '';
      for (const entry of shipped) finishDeployed(entry, options.verify, `${label}${held.includes(entry) ? steps : ''}`, onProgress);
      const baked = bake ? `, baked ${formatDuration(bake.seconds)} (${bakeSummary(shipped)})` : '';
      say(
        'done',
        `${clients(wave.length)}: ${shipped.length} deployed${options.verify ? `, ${shipped.length} verified${steps}` : ''}${baked}`,
      );
      continue;
    }
    await settleFailedWave({
      api,
      wave,
      shipped,
      failedShip,
      failedVerify,
      rollback: options.rollback,
      number,
      total,
      midRamp,
      onProgress,
    });
    say(
      'failed',
      `${clients(wave.length)}: ${failedShip.length} failed to deploy, ${failedVerify.length} failed ${shipped.some(bakeFailed) ? 'the bake' : 'verification'}${failedVerify.length > 0 || midRamp !== undefined ? (options.rollback ? '; wave rolled back' : '; kept (--no-rollback)') : ''}`,
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
  /** A ramp: existing workers' new versions are uploaded and held, for deployStep to split. */
  hold: boolean;
}

/** Runs one step for some of a wave's clients: a thrown error is that client's failure, with its line. */
function runClients(
  entries: readonly PreparedClient[],
  limit: number,
  context: ShipContext,
  step: (entry: PreparedClient, result: DeployResult, say: (detail: string) => void) => Promise<void>,
) {
  const byClient = new Map(entries.map((entry) => [entry.client.name, entry]));
  return forEachClient<DeployResult>({
    clients: entries.map((entry) => entry.client),
    concurrency: limit,
    onProgress: context.onProgress,
    start: (client) => (byClient.get(client.name) as PreparedClient).result,
    work: (client, result, progress) =>
      step(byClient.get(client.name) as PreparedClient, result, (detail) => progress('working', `${context.waveLabel} · ${detail}`)),
    failedLine: (failure) => ['failed', `not deployed: ${failure.message}`],
  });
}

/**
 * Ships a wave's clients in two steps: every upload first (direct uploads and wrangler deploys side by
 * side, each with its own concurrency), then the deployments of the uploaded versions all at once, so
 * the wave goes live together. Returns the clients that went live, and (with `hold`) the existing
 * workers whose new version is uploaded but not yet deployed.
 */
async function shipWave(
  wave: readonly PreparedClient[],
  context: ShipContext,
): Promise<{ shipped: PreparedClient[]; held: PreparedClient[] }> {
  const concurrency = context.concurrency ?? DEFAULT_CONCURRENCY.upload;
  const started = Date.now();
  const pending: PreparedClient[] = [];
  const wrangler = wave.filter((entry) => entry.settings.wranglerOnly !== undefined);
  const direct = wave.filter((entry) => !wrangler.includes(entry));
  await Promise.all([
    runClients(direct, concurrency, context, async (entry, result, say) => {
      result.stage = 'deploy';
      const uploaded = await uploadDirect({ ...shipOptions(entry, context), progress: say });
      Object.assign(result, { deployedVersionId: uploaded.versionId, versionId: uploaded.live ? uploaded.versionId : result.versionId });
      result.plan.newWorker = uploaded.newWorker;
      if (uploaded.live) return finishShipped(entry, context, started, say);
      pending.push(entry);
      say(`uploaded ${shortId(uploaded.versionId)}; deploying with its wave`);
    }),
    runClients(wrangler, Math.min(concurrency, DEFAULT_CONCURRENCY.deploy), context, async (entry, result, say) => {
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
  const uploaded = wave.filter((entry) => entry.result.error === undefined);
  if (context.hold) return { shipped: uploaded.filter((entry) => !pending.includes(entry)), held: pending };
  await deployStep(pending, 100, context, started);
  return { shipped: wave.filter((entry) => entry.result.error === undefined), held: [] };
}

/** What each held client ran before its ramp began, read once at its first step. */
const rampedFrom = new WeakMap<PreparedClient, string>();

/**
 * Deploys held versions, all of the wave's at once (deployments are small, so it moves together):
 * at 100 %, or split with the version each worker ran before (read at the first step: 1 more call).
 * A worker already in a split (a dark launch) cannot be ramped: that client fails alone.
 */
async function deployStep(held: readonly PreparedClient[], percent: number, context: ShipContext, started: number): Promise<void> {
  const live = held.filter((entry) => entry.result.error === undefined);
  await runClients(live, Math.max(1, live.length), context, async (entry, result, say) => {
    const newer = result.deployedVersionId as string;
    if (percent === 100) {
      say('deploying');
      await deployUploaded(shipOptions(entry, context), newer);
      result.versionId = newer;
      return finishShipped(entry, context, started, say);
    }
    const worker = entry.client.workerName;
    let older = rampedFrom.get(entry);
    if (older === undefined) {
      say('reading deployments');
      older = soleVersion(await context.api.listDeployments(worker));
      if (older === undefined)
        throw new FleetError(`worker ${worker} runs a split (a dark launch): a ramp starts from one version`, {
          hint: `End it first: ${commandLine('deploy', entry.client.name, '--promote')} or ${commandLine('rollback', entry.client.name)}.`,
        });
      rampedFrom.set(entry, older);
    }
    say(`deploying ${shortId(newer)} at ${percent} %`);
    const message = `mcp-fleet ramp ${percent}%: ${context.waveLabel}`.slice(0, 100);
    if ((await context.api.deploy(worker, splitVersions(newer, older, percent), message)) !== 'ok')
      throw new FleetError(
        `deploying worker ${worker} at ${percent} %: Cloudflare refused the split (10220: the versions' secrets differ)`,
        {
          hint: `Deploy without --ramp: ${commandLine('deploy', entry.client.name)}.`,
        },
      );
    result.url = (await clientUrl(entry.client, context.target, new Map())).url;
    say(`${shortId(newer)} at ${percent} %, ${shortId(older)} at ${100 - percent} %`);
  });
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

let version: string | undefined;
function mcpFleetVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
