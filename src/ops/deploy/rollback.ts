import { type Pacer, sharedPacer } from '../../cloudflare/pacer.js';
import type { Target } from '../../cloudflare/target.js';
import { createVersionReads, type VersionReads } from '../../cloudflare/version-reads.js';
import { createWorkersApi, type WorkersApi } from '../../cloudflare/workers-api.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import type { ClientFailure } from '../fleet/client-failure.js';
import { DEFAULT_CONCURRENCY } from '../fleet/defaults.js';
import type { ProgressListener } from '../fleet/progress.js';
import { forEachClient } from '../fleet/runner.js';
import { readSecretsToSend } from '../secrets/preflight.js';
import type { PostDeployCheck } from './rollout/results.js';
import { rollbackClient } from './rollout/rollback-client.js';
import { verifyDeployed } from './rollout/verify-wave.js';
import { resolveVersionId } from './version-id.js';

/**
 * `mcp-fleet rollback`: each client back to the deployment before its current one (or to the version
 * named with --to), then verified. When the version's secrets are not today's (a rotation since),
 * its code goes back up with the current secrets instead (see rollout/rollback-client.ts), so a
 * revoked key never comes back. The secrets file is read first, as for a deploy.
 */

export interface RollbackResult {
  client: string;
  worker: string;
  ok: boolean;
  how: 'redeployed' | 'reuploaded' | 'unchanged' | undefined;
  /** What ran before. */
  fromVersionId: string | undefined;
  /** The version whose code runs now. */
  targetVersionId: string | undefined;
  /** What runs now (a new version when the code was re-uploaded). */
  versionId: string | undefined;
  verify: PostDeployCheck | undefined;
  error?: ClientFailure;
}

export interface RollbackOptions {
  fleet: Fleet;
  clients: readonly Client[];
  target: Target;
  /** --to <version-id>: a whole id or a unique prefix, e.g. the 8 characters tables print (one client only). */
  to?: string | undefined;
  verify: boolean;
  concurrency?: number;
  onProgress?: ProgressListener | undefined;
  pacer?: Pacer;
  api?: WorkersApi;
  versions?: Pick<VersionReads, 'listVersions'>;
}

export async function rollbackFleet(options: RollbackOptions): Promise<RollbackResult[]> {
  const { fleet, target } = options;
  const pacer = options.pacer ?? sharedPacer();
  const api = options.api ?? createWorkersApi(target, { pacer });
  const versions = options.versions ?? createVersionReads(target, { pacer });
  const secrets = new Map<string, Map<string, string>>();
  const results = await forEachClient<RollbackResult>({
    clients: options.clients,
    concurrency: options.clients.length,
    onProgress: options.onProgress,
    queued: 'checking',
    start: (client) => ({
      client: client.name,
      worker: client.workerName,
      ok: false,
      how: undefined,
      fromVersionId: undefined,
      targetVersionId: undefined,
      versionId: undefined,
      verify: undefined,
    }),
    async work(client, _result, progress) {
      secrets.set(client.name, (await readSecretsToSend(fleet, client)).send);
      progress('queued', 'waiting');
    },
    failedLine: (failure) => ['skipped', `not rolled back: ${failure.message}`],
  });
  const resultOf = (client: Client) => results[options.clients.indexOf(client)] as RollbackResult;
  const runnable = options.clients.filter((client) => secrets.has(client.name));
  await forEachClient<RollbackResult>({
    clients: runnable,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.api,
    onProgress: options.onProgress,
    start: resultOf,
    async work(client, result, progress) {
      const to = options.to === undefined ? undefined : await resolveVersionId(versions, client.name, client.workerName, options.to);
      const back = await rollbackClient({
        api,
        worker: client.workerName,
        target: to ? { to } : {},
        currentSecrets: async () => secrets.get(client.name) as Map<string, string>,
        reason: 'mcp-fleet rollback',
        progress: (detail) => progress('working', detail),
      });
      const unchanged = back.fromVersionId === back.versionId;
      Object.assign(result, { ...back, how: unchanged ? 'unchanged' : back.how, ok: !options.verify });
      progress(
        options.verify ? 'working' : 'done',
        `${unchanged ? 'already on' : 'back on'} ${back.versionId.slice(0, 8)}${options.verify ? '; verifying' : ''}`,
      );
    },
  });
  const rolledBack = runnable.filter((client) => resultOf(client).versionId !== undefined);
  if (options.verify && rolledBack.length > 0) {
    const checks = await verifyDeployed(
      fleet,
      rolledBack,
      target,
      new Map(rolledBack.map((client) => [client.name, resultOf(client).versionId])),
    );
    for (const client of rolledBack) {
      const result = resultOf(client);
      result.verify = checks.get(client.name) ?? { ok: false, detail: 'not verified' };
      result.ok = result.verify.ok;
      if (!result.ok) {
        result.error = {
          message: `${client.name} is back on ${result.versionId?.slice(0, 8)}, but verification failed: ${result.verify.detail}`,
          exitCode: 1,
        };
      }
      options.onProgress?.(
        client.name,
        result.ok ? 'done' : 'failed',
        `back on ${result.versionId?.slice(0, 8)}${result.ok ? ', verified' : ', verification failed'}`,
      );
    }
  }
  return results;
}
