import { isCloudflareApiError } from '../../cloudflare/api.js';
import type { VersionReads, VersionSummary } from '../../cloudflare/version-reads.js';
import type { Deployment, WorkersApi } from '../../cloudflare/workers-api.js';
import { bySharesDescending, isSecretChange } from './drift.js';

/** The reads `status` makes of the account and of each worker (all through the shared pacer). */
export interface StatusReads {
  workers: Pick<WorkersApi, 'listScripts' | 'listDeployments'>;
  versions: Pick<VersionReads, 'getVersion'>;
}

/** What one worker runs, as read: its live deployment and the versions whose code runs. */
export interface RemoteState {
  exists: boolean;
  live: Deployment | undefined;
  /** The versions that hold the running code, biggest share first (see readRemoteState). */
  codeVersions: VersionSummary[];
  /** Set when the code's origin could not be found among the deployments Cloudflare lists. */
  codeUnknown?: string;
}

/**
 * Where a secret-change version first went live. Cloudflare makes such a version only while the
 * newest version runs alone, copying its code: that is the deployment just before this one. A
 * rollback may deploy the same secret-change version again later; its code is still the one from
 * before its first deployment, not from before the rollback.
 */
function firstDeploymentOf(deployments: readonly Deployment[], versionId: string | undefined, from: number): number {
  let first = from;
  for (let index = from + 1; index < deployments.length; index++) {
    if (deployments[index]?.versions.some((entry) => entry.version_id === versionId)) first = index;
  }
  return first;
}

/** Cloudflare's codes for "no such worker". */
const NOT_FOUND = new Set([10007, 10090]);

/** Versions read to step back past secret changes the deployments do not mark, at most. */
const MAX_UNMARKED_STEPS = 3;

/**
 * One worker's deployments (one call), then each version of the deployment that shipped the code
 * that runs (one call, two during a traffic split; one more per secret change since, when only the
 * version marks it, up to 3). A worker that vanished since the account's list was read reads as absent.
 */
export async function readRemoteState(reads: StatusReads, worker: string): Promise<RemoteState> {
  let deployments: Deployment[];
  try {
    deployments = await reads.workers.listDeployments(worker);
  } catch (error) {
    if (isCloudflareApiError(error) && error.codes.some((code) => NOT_FOUND.has(code))) {
      return { exists: false, live: undefined, codeVersions: [] };
    }
    throw error;
  }
  const live = deployments[0];
  if (!live) return { exists: true, live: undefined, codeVersions: [], codeUnknown: 'the worker has no deployment' };
  let unmarked = 0;
  for (let index = 0; index < deployments.length; index++) {
    const deployment = deployments[index] as Deployment;
    if (isSecretChange(deployment.annotations)) {
      index = firstDeploymentOf(deployments, deployment.versions[0]?.version_id, index);
      continue;
    }
    const versions = await Promise.all(
      bySharesDescending(deployment.versions).map((entry) => reads.versions.getVersion(worker, entry.version_id)),
    );
    const only = versions.length === 1 ? versions[0] : undefined;
    if (only && isSecretChange(only.annotations) && unmarked < MAX_UNMARKED_STEPS) {
      unmarked += 1;
      index = firstDeploymentOf(deployments, only.id, index);
      continue;
    }
    return { exists: true, live, codeVersions: versions };
  }
  return {
    exists: true,
    live,
    codeVersions: [],
    codeUnknown: 'the deployments Cloudflare lists are all secret changes; the one that shipped the code is older',
  };
}
