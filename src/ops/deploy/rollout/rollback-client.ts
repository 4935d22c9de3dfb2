import type { UploadBinding, WorkerUpload } from '../../../cloudflare/worker-upload.js';
import { type Deployment, type DeploymentVersion, uploadFromVersion, type WorkersApi } from '../../../cloudflare/workers-api.js';
import { FleetError } from '../../../util/errors.js';
import { commandLine } from '../../../util/next-step.js';
import { liveSplit } from '../split/split.js';
import { codeTagOf } from './bundles.js';
import { shortId } from './results.js';

/**
 * Takes one worker back to an earlier version without ever reviving a revoked key. First it asks
 * Cloudflare to deploy that version as it was; Cloudflare refuses (10220) when the version's secrets
 * differ from the newest version's — after a rotation, say. Then the version's code and non-secret
 * bindings are uploaded again with the secrets of today (the client's secrets file), and that new
 * version is deployed: old code, current keys. `force` is never used.
 */

export interface RollbackTarget {
  /** Go back to this version; default: the deployment before `from` (or before the live one). */
  to?: string;
  /** The version being rolled back (the rollout's new version), to find what ran before it. */
  from?: string;
}

export interface RollbackOutcome {
  /** What runs now. */
  versionId: string;
  /** The version whose code runs now. */
  targetVersionId: string;
  /** What ran before the rollback. */
  fromVersionId: string | undefined;
  how: 'redeployed' | 'reuploaded';
}

export interface RollbackClientOptions {
  api: WorkersApi;
  worker: string;
  target: RollbackTarget;
  /** The secrets to use if the version's own cannot come back (read only then). */
  currentSecrets: () => Promise<ReadonlyMap<string, string>>;
  /** Why, for the deployment's message. */
  reason: string;
  progress?: (detail: string) => void;
}

export async function rollbackClient(options: RollbackClientOptions): Promise<RollbackOutcome> {
  const { api, worker } = options;
  const progress = options.progress ?? (() => undefined);
  progress('reading deployments');
  const deployments = await api.listDeployments(worker);
  const live = deployments[0];
  const fromVersionId = majorityVersion(live);
  const versions = targetVersions(worker, deployments, options.target);
  const targetVersionId = majorityVersion({ versions }) as string;
  if (live && sameVersions(live.versions, versions))
    return { versionId: targetVersionId, targetVersionId, fromVersionId, how: 'redeployed' };

  progress(`deploying ${shortId(targetVersionId)} again`);
  const message = `mcp-fleet rollback to ${targetVersionId}: ${options.reason}`.slice(0, 100);
  if ((await api.deploy(worker, versions, message)) === 'ok')
    return { versionId: targetVersionId, targetVersionId, fromVersionId, how: 'redeployed' };

  // 10220: that version's secrets are not today's. Its code comes back with today's secrets instead.
  progress(`re-uploading ${shortId(targetVersionId)}'s code with current secrets`);
  const version = await api.getVersionWithCode(worker, targetVersionId);
  const upload = reupload(version, await options.currentSecrets(), message);
  const versionId = await api.uploadVersion(worker, upload);
  if (versionId === 'missing') throw new FleetError(`worker ${worker} no longer exists; nothing to roll back`);
  progress('deploying');
  if ((await api.deploy(worker, [{ version_id: versionId, percentage: 100 }], message)) !== 'ok') {
    throw new FleetError(`deploying the re-uploaded version ${versionId} of worker ${worker}: Cloudflare refused it (10220)`);
  }
  return { versionId, targetVersionId, fromVersionId, how: 'reuploaded' };
}

function targetVersions(worker: string, deployments: readonly Deployment[], target: RollbackTarget): DeploymentVersion[] {
  if (target.to) return [{ version_id: target.to, percentage: 100 }];
  // During a dark launch, going back means all traffic to the version that ran before the split.
  const split = target.from ? undefined : liveSplit(deployments);
  if (split) return [{ version_id: split.older.version_id, percentage: 100 }];
  // What ran before `from` went live: the newest deployment without it, below the newest one with it
  // (a ramp's steps each run it beside the old version: they are all skipped, back to the old alone).
  const runsFrom = (d: Deployment) => d.versions.some((v) => v.version_id === target.from);
  const index = target.from ? deployments.findIndex(runsFrom) : 0;
  const previous = index === -1 ? undefined : target.from ? deployments.slice(index).find((d) => !runsFrom(d)) : deployments[1];
  if (!previous || previous.versions.length === 0) {
    throw new FleetError(
      index === -1
        ? `worker ${worker} does not run version ${shortId(target.from)}; nothing to roll back`
        : `worker ${worker} has no earlier deployment to go back to`,
      {
        hint: `Name a version: ${commandLine('rollback', '<client>', '--to', '<version-id>')} (${commandLine('history', '<client>')} lists them).`,
      },
    );
  }
  return previous.versions.map((v) => ({ version_id: v.version_id, percentage: v.percentage }));
}

/** The version with the biggest share of a deployment. */
function majorityVersion(deployment: Pick<Deployment, 'versions'> | undefined): string | undefined {
  return [...(deployment?.versions ?? [])].sort((a, b) => b.percentage - a.percentage)[0]?.version_id;
}

function sameVersions(a: readonly DeploymentVersion[], b: readonly DeploymentVersion[]): boolean {
  const key = (list: readonly DeploymentVersion[]) => JSON.stringify([...list].map((v) => [v.version_id, v.percentage]).sort());
  return key(a) === key(b);
}

/** The version's code, compatibility and non-secret bindings, with today's secrets (and secrets only the worker has kept). */
function reupload(
  version: Awaited<ReturnType<WorkersApi['getVersionWithCode']>>,
  secrets: ReadonlyMap<string, string>,
  message: string,
): WorkerUpload {
  const bindings: UploadBinding[] = [
    ...version.bindings.filter((binding) => binding.type !== 'secret_text' && binding.type !== 'secret_key'),
    ...[...secrets].map(([name, text]) => ({ name, type: 'secret_text', text })),
  ];
  return uploadFromVersion(version, bindings, {
    message,
    tag: codeTagOf(version),
    keepBindings: ['secret_text', 'secret_key'],
  });
}
