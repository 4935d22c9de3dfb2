import { isCloudflareApiError, type SecretsApi } from '../../cloudflare/api.js';
import type { UploadBinding, WorkerUpload } from '../../cloudflare/worker-upload.js';
import { createWorkersApi, uploadFromVersion, type VersionWithCode, type WorkersApi } from '../../cloudflare/workers-api.js';
import { FleetError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { codeTagOf } from '../deploy/rollout/bundles.js';

/**
 * Secret changes for a worker that runs an earlier version than its newest (after a rollback).
 * Cloudflare refuses to edit secrets then (10215): the edit would make a new version from the
 * newest one and bring back the code the rollback took away. Here the code that runs stays: the
 * live version's code and non-secret bindings are uploaded again with the changed secrets, and that
 * version is deployed. Secrets not being changed are inherited; a plain rollback only goes back to
 * a version whose secrets are the newest version's (Cloudflare refuses others with 10220), so they
 * are the same whichever of the two they are inherited from. A gradual deployment (two versions)
 * is left alone. 4 calls after the refused one: deployments, the live version, the upload, the deployment.
 */

/** 10215: the worker's newest version is not the one deployed. */
const NOT_LATEST_DEPLOYED = 10215;

export interface SecretsChange {
  outcome: 'ok' | 'missing';
  /** Said when the change went out as a new version of the live code (after a rollback), for the command's warnings. */
  warning?: string;
}

/** Sets secrets (null deletes one) as secrets-bulk does, also on a worker that was rolled back. */
export async function changeSecrets(
  api: SecretsApi,
  worker: string,
  changes: ReadonlyMap<string, string | null>,
  options: { reason: string; progress?: (detail: string) => void },
): Promise<SecretsChange> {
  try {
    return { outcome: await api.bulkSetSecrets(worker, changes) };
  } catch (error) {
    if (!isCloudflareApiError(error) || !error.codes.includes(NOT_LATEST_DEPLOYED)) throw error;
    const workers = createWorkersApi(api.target, { pacer: api.pacer });
    options.progress?.('the worker runs an earlier version (a rollback): sending its code again with the new secrets');
    const versionId = await redeployLiveCode(workers, worker, changes, options.reason, error);
    return {
      outcome: 'ok',
      warning: `the worker ran an earlier version than its newest (a rollback): that code went out again with the new secrets as version ${versionId.slice(0, 8)}`,
    };
  }
}

async function redeployLiveCode(
  workers: WorkersApi,
  worker: string,
  changes: ReadonlyMap<string, string | null>,
  reason: string,
  refusal: Error,
): Promise<string> {
  const [live] = await workers.listDeployments(worker);
  const only = live?.versions.length === 1 ? live.versions[0] : undefined;
  if (!only) throw refusal; // a gradual deployment: its hint says what to do
  const version = await workers.getVersionWithCode(worker, only.version_id);
  const message = `mcp-fleet ${reason} on ${only.version_id}`.slice(0, 100);
  const versionId = await workers.uploadVersion(worker, uploadWithSecrets(version, changes, message));
  if (versionId === 'missing') throw new FleetError(`worker ${worker} no longer exists`);
  if ((await workers.deploy(worker, [{ version_id: versionId, percentage: 100 }], message)) !== 'ok') {
    throw new FleetError(`deploying version ${versionId} of worker ${worker} with the new secrets: Cloudflare refused it (10220)`, {
      hint: `Deploy the current code first (${commandLine('deploy', '<client>')}), then change secrets.`,
    });
  }
  return versionId;
}

/** The version's code and non-secret bindings; its secrets inherited unless changed (null drops one). */
export function uploadWithSecrets(version: VersionWithCode, changes: ReadonlyMap<string, string | null>, message: string): WorkerUpload {
  const isSecret = (binding: UploadBinding) => binding.type === 'secret_text' || binding.type === 'secret_key';
  const kept = version.bindings.filter((binding) => isSecret(binding) && !changes.has(binding.name));
  const bindings: UploadBinding[] = [
    ...version.bindings.filter((binding) => !isSecret(binding)),
    ...kept.map((binding) => ({ name: binding.name, type: 'inherit' })),
    ...[...changes].flatMap(([name, text]) => (text === null ? [] : [{ name, type: 'secret_text', text }])),
  ];
  return uploadFromVersion(version, bindings, { message, tag: codeTagOf(version) });
}
