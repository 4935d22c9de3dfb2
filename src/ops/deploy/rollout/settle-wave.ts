import type { WorkersApi } from '../../../cloudflare/workers-api.js';
import { commandLine } from '../../../util/next-step.js';
import { clientFailure } from '../../fleet/client-failure.js';
import type { ProgressListener } from '../../fleet/progress.js';
import { forEachClient } from '../../fleet/runner.js';
import type { PreparedClient } from './prepare.js';
import { type DeployResult, shortId } from './results.js';
import { rollbackClient } from './rollback-client.js';

/**
 * A failed wave: when any of its clients failed verification, every client of the wave that got the
 * new version goes back to the deployment it had before (unless --no-rollback). An upload that
 * failed changed nothing for its client; it halts the rollout but does not roll the others back
 * (they verified: nothing says their new code is bad). A new worker has nothing to go back to.
 */
export interface SettleOptions {
  api: WorkersApi;
  wave: readonly PreparedClient[];
  shipped: readonly PreparedClient[];
  failedShip: readonly PreparedClient[];
  failedVerify: readonly PreparedClient[];
  rollback: boolean;
  number: number;
  total: number;
  /** A ramp stopped at this share because some clients' split did not deploy: those split go back too. */
  midRamp?: number | undefined;
  onProgress: ProgressListener | undefined;
}

export async function settleFailedWave(options: SettleOptions): Promise<void> {
  const { shipped, failedVerify, number, total, midRamp } = options;
  const wave = `wave ${number}/${total}`;
  const culprits = failedVerify.map((entry) => entry.client.name).join(', ');
  /** Why this client goes back: its own failed check, or its wave's. */
  const causeOf = (entry: PreparedClient) =>
    entry.result.verify && !entry.result.verify.ok
      ? `verification failed (${entry.result.verify.detail})`
      : bakeFailed(entry)
        ? `the bake failed (${entry.result.bake?.detail})`
        : failedVerify.length === 0 && midRamp !== undefined
          ? `${wave} halted at ${midRamp} % (${options.failedShip.map((entry) => entry.client.name).join(', ')} could not deploy)`
          : `${wave} failed ${failedVerify.some(bakeFailed) ? 'its bake' : 'verification'} (${culprits})`;

  for (const entry of options.failedShip) {
    entry.result.why = `not deployed (${wave}): ${entry.result.error?.message ?? 'failed'}`;
  }
  if (failedVerify.length === 0 && midRamp === undefined) {
    // Nothing says the new code is bad: the clients that verified keep it; the rollout still halts.
    for (const entry of shipped) {
      Object.assign(entry.result, { ok: true, stage: 'done', outcome: 'deployed', why: `${wave} verified; the rollout halted after it` });
      options.onProgress?.(entry.client.name, 'done', `deployed ${shortId(entry.result.versionId)}, verified`);
    }
    return;
  }
  if (!options.rollback) {
    for (const entry of shipped) keep(entry, causeOf(entry), options.onProgress);
    return;
  }
  await forEachClient<DeployResult>({
    clients: shipped.map((entry) => entry.client),
    concurrency: 8,
    onProgress: options.onProgress,
    start: (client) => (shipped.find((entry) => entry.client.name === client.name) as PreparedClient).result,
    async work(client, result, progress) {
      const entry = shipped.find((candidate) => candidate.client.name === client.name) as PreparedClient;
      result.stage = 'rollback';
      if (result.plan.newWorker) {
        result.outcome = 'failed';
        result.why = `${causeOf(entry)}; a new worker has no earlier version to go back to, so it keeps the new one`;
        result.error = failureOf(entry, result.why);
        progress('failed', 'new worker: nothing to roll back to');
        return;
      }
      const back = await rollbackClient({
        api: options.api,
        worker: client.workerName,
        target: { from: result.deployedVersionId },
        currentSecrets: async () => entry.secrets,
        reason:
          midRamp !== undefined && failedVerify.length === 0
            ? `${wave} halted at ${midRamp} %`
            : `${wave} failed ${failedVerify.some(bakeFailed) ? 'its bake' : 'verification'}`,
        progress: (detail) => progress('working', `rolling back: ${detail}`),
      });
      result.versionId = back.versionId;
      result.outcome = 'rolled-back';
      const how =
        back.how === 'reuploaded'
          ? `${shortId(back.targetVersionId)}'s code re-uploaded with current secrets as ${shortId(back.versionId)}`
          : shortId(back.versionId);
      result.why = `${causeOf(entry)}; back on ${how}`;
      result.error = failureOf(entry, result.why);
      progress('skipped', `rolled back to ${how}`);
    },
    failedLine: (failure) => ['failed', `rollback failed: ${failure.message}`],
  });
  for (const entry of shipped) {
    if (entry.result.outcome === 'rolled-back' || entry.result.outcome === 'failed') continue;
    // The rollback itself failed: say which version may be running.
    const message = entry.result.error?.message ?? 'unknown';
    entry.result.outcome = 'failed';
    entry.result.why = `${causeOf(entry)}; rolling back failed (${message}); it may still run ${shortId(entry.result.deployedVersionId)}`;
    entry.result.error = {
      ...(entry.result.error ?? clientFailure(new Error(message))),
      message: entry.result.why,
    };
  }
}

/** A bake that breached, or could not read the figures it needed, fails its wave as a failed check does. */
export function bakeFailed(entry: PreparedClient): boolean {
  return entry.result.bake?.verdict === 'breach' || entry.result.bake?.verdict === 'unreadable';
}

function keep(entry: PreparedClient, cause: string, onProgress: ProgressListener | undefined): void {
  Object.assign(entry.result, { outcome: 'kept', why: `${cause}; kept on ${shortId(entry.result.versionId)} (--no-rollback)` });
  entry.result.error = failureOf(entry, entry.result.why as string);
  onProgress?.(
    entry.client.name,
    entry.result.verify?.ok ? 'skipped' : 'failed',
    `kept ${shortId(entry.result.versionId)} (--no-rollback)`,
  );
}

function failureOf(entry: PreparedClient, why: string): DeployResult['error'] {
  return { message: why, hint: `Look closer: ${commandLine('verify', entry.client.name)}`, exitCode: 1 };
}
