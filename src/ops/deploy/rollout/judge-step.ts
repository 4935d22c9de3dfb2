import type { AnalyticsQuery } from '../../../cloudflare/analytics-sql.js';
import type { Target } from '../../../cloudflare/target.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { formatDuration } from '../../../util/duration.js';
import { usageError } from '../../../util/errors.js';
import type { ProgressListener } from '../../fleet/progress.js';
import type { BakeLimits } from '../bake/bake-limits.js';
import { bakeWave } from '../bake/bake-wave.js';
import type { PreparedClient } from './prepare.js';
import type { WaveListener } from './results.js';
import { bakeFailed } from './settle-wave.js';
import { verifyDeployed } from './verify-wave.js';

/** How a wave (or a ramp step) is judged once it is live: its checks, then, with --bake, its real traffic. */

export interface StepJudge {
  fleet: Fleet;
  target: Target;
  verify: boolean;
  bake: BakeLimits | undefined;
  analytics: AnalyticsQuery | undefined;
  onProgress: ProgressListener | undefined;
  say: (phase: Parameters<WaveListener>[2], detail: string) => void;
}

/**
 * One step of a wave: the checks on every client now live (on a split, pinned to the new version
 * with Cloudflare's version override header, so they judge it and not the old one), then, with
 * --bake, the new versions' own traffic. Returns the clients that failed either.
 */
export async function judgeStep(
  live: readonly PreparedClient[],
  split: readonly PreparedClient[],
  judge: StepJudge,
  percent: number | undefined,
  liveSince: number,
): Promise<PreparedClient[]> {
  const { onProgress, say } = judge;
  const at = percent === undefined ? '' : ` at ${percent} %`;
  if (!judge.verify || live.length === 0) return [];
  say('working', `${clients(live.length)}: deployed${at}, verifying`);
  for (const entry of live) onProgress?.(entry.client.name, 'working', `verifying${split.includes(entry) ? at : ''}`);
  const checks = await verifyDeployed(
    judge.fleet,
    live.map((entry) => entry.client),
    judge.target,
    new Map(live.map((entry) => [entry.client.name, entry.result.versionId])),
    (client, detail) => onProgress?.(client, 'working', detail),
    new Map(split.map((entry) => [entry.client.name, entry.result.deployedVersionId as string])),
  );
  for (const entry of live) {
    const check = checks.get(entry.client.name) ?? { ok: false, detail: 'not verified' };
    entry.result.verify = split.includes(entry)
      ? { ok: check.ok, detail: `at ${percent} %, checked on the new version: ${check.detail}` }
      : check;
  }
  const failed = live.filter((entry) => entry.result.verify && !entry.result.verify.ok);
  const bake = judge.bake;
  if (failed.length > 0 || !bake || !judge.analytics) return failed;
  say('working', `${clients(live.length)}: verified${at}; baking ${formatDuration(bake.seconds)} on real traffic`);
  for (const entry of live) onProgress?.(entry.client.name, 'working', `verified; baking ${formatDuration(bake.seconds)}`);
  const judged = await bakeWave({
    entries: live.map((entry) => ({
      client: entry.client,
      // The version this rollout uploaded: on a split its figures are its own, not the old version's.
      versionId: entry.result.plan.namesVersion ? entry.result.deployedVersionId : undefined,
    })),
    limits: bake,
    query: judge.analytics,
    liveSince,
    onProgress: (client, detail) => onProgress?.(client, 'working', `${detail}${at}`),
  });
  for (const entry of live) {
    const judgement = judged.get(entry.client.name);
    if (judgement) entry.result.bake = percent === undefined ? judgement : { ...judgement, detail: `at ${percent} %: ${judgement.detail}` };
  }
  return live.filter(bakeFailed);
}

/** A bake needs each client's own figures: a client whose section binds no dataset could never be judged. */
export function requireDatasets(clients: readonly Client[]): void {
  const blind = clients.filter((client) => client.dataset === undefined).map((client) => client.name);
  if (blind.length === 0) return;
  throw usageError(
    `--bake reads each client's Analytics Engine dataset, and ${blind.join(', ')} bind${blind.length === 1 ? 's' : ''} none as ANALYTICS`,
    `Add "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "<client>_metrics" }] to ${blind.length === 1 ? 'its section' : 'their sections'} in wrangler.jsonc (mcp-fleet add writes it), or deploy them without --bake.`,
  );
}

export function bakeSummary(entries: readonly PreparedClient[]): string {
  const verdicts = new Map<string, number>();
  for (const entry of entries) {
    const verdict = entry.result.bake?.verdict ?? 'not baked';
    verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
  }
  return [...verdicts].map(([verdict, n]) => `${n} ${verdict.replaceAll('-', ' ')}`).join(', ');
}

/** `1 client`, `3 clients`: the wave lines' count. */
export function clients(count: number): string {
  return `${count} client${count === 1 ? '' : 's'}`;
}
