import { type Pacer, sharedPacer, systemClock } from '../cloudflare/pacer.js';
import type { Target } from '../cloudflare/target.js';
import {
  WRANGLER_DEPLOY_API_CALLS,
  type WranglerDeployOptions,
  type WranglerDeployResult,
  wranglerDeploy,
} from '../cloudflare/wrangler.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { FleetError } from '../util/errors.js';
import {
  assertComplete,
  assertNoUnsettledRotation,
  type ClientFailure,
  clientFailure,
  type ProgressListener,
  readClientSecrets,
  valuesToSend,
} from './client-secrets.js';
import { describeFetchError } from './verify/auth-probe.js';
import { clientUrl, resolveClientUrls } from './verify/client-urls.js';
import { verifyFleet } from './verify/verify-fleet.js';

export const DEFAULT_DEPLOY_CONCURRENCY = 4;

export interface DeployOptions {
  fleet: Fleet;
  clients: readonly Client[];
  target: Target;
  concurrency?: number;
  /** Check each deployed worker afterwards (--no-verify turns it off). */
  verify: boolean;
  onProgress?: ProgressListener;
  pacer?: Pacer;
  /** The wrangler run (tests replace it). */
  deployOne?: (options: WranglerDeployOptions) => Promise<WranglerDeployResult>;
  /** The checks after the deploys (default: the verify command's checks, see verifyDeployed). */
  verifyClients?: (fleet: Fleet, clients: readonly Client[], target: Target) => Promise<Map<string, PostDeployCheck>>;
}

export interface PostDeployCheck {
  ok: boolean;
  detail: string;
}

export interface DeployResult {
  client: string;
  worker: string;
  ok: boolean;
  /** Where it stopped (or 'done'). */
  stage: 'preflight' | 'deploy' | 'verify' | 'done';
  url: string | undefined;
  versionId: string | undefined;
  /** wrangler's full output for this client. */
  logPath: string | undefined;
  durationMs: number | undefined;
  /** The last lines of wrangler's output, kept for failures only. */
  output: string[] | undefined;
  /** undefined when not verified (--no-verify, or the deploy failed). */
  verify: PostDeployCheck | undefined;
  error?: ClientFailure;
}

/**
 * Ships code to each client's worker with wrangler. Every deploy carries the client's secrets
 * (`--secrets-file`), not only a worker's first one, because then:
 * - a new worker is never reachable without them (its first version already has them);
 * - code and secrets land in one version, and that version holds exactly the values preflight
 *   validated — a rollback to it brings back matching secrets;
 * - no extra API call is needed to find out whether the worker exists (and nothing races
 *   between that check and the upload).
 * The file is the source of truth either way (push and rotate write it); secrets that exist
 * only on the worker are kept (wrangler sends keep_bindings for secrets).
 */
export async function deployFleet(options: DeployOptions): Promise<DeployResult[]> {
  const { fleet, target, onProgress } = options;
  const pacer = options.pacer ?? sharedPacer();
  const deployOne = options.deployOne ?? wranglerDeploy;
  const verifyClients = options.verifyClients ?? verifyDeployed;
  const blank = (client: Client): DeployResult => ({
    client: client.name,
    worker: client.workerName,
    ok: false,
    stage: 'preflight',
    url: undefined,
    versionId: undefined,
    logPath: undefined,
    durationMs: undefined,
    output: undefined,
    verify: undefined,
  });

  // Preflight every client before anything is uploaded, so bad input is reported up front.
  for (const client of options.clients) onProgress?.(client.name, 'queued', 'checking');
  const prepared = await Promise.all(
    options.clients.map(async (client) => {
      try {
        const file = await readClientSecrets(fleet, client);
        assertComplete(fleet, client, file.values);
        await assertNoUnsettledRotation(fleet, client, file.values);
        onProgress?.(client.name, 'queued', 'waiting to deploy');
        return { client, secrets: valuesToSend(file.values).send, failure: undefined };
      } catch (error) {
        const failure = clientFailure(error);
        onProgress?.(client.name, 'skipped', `not deployed: ${failure.message}`);
        return { client, secrets: undefined, failure };
      }
    }),
  );

  const runnable = prepared.filter((entry) => entry.failure === undefined);
  const settled = await mapWithConcurrency(
    runnable,
    options.concurrency ?? DEFAULT_DEPLOY_CONCURRENCY,
    async ({ client, secrets }): Promise<DeployResult> => {
      const result = blank(client);
      result.stage = 'deploy';
      try {
        // wrangler's calls do not pass through our fetch; charge them before it starts.
        if (pacer.delayFor(WRANGLER_DEPLOY_API_CALLS) > 0) onProgress?.(client.name, 'working', 'waiting for API budget');
        await pacer.acquire(WRANGLER_DEPLOY_API_CALLS);
        onProgress?.(client.name, 'working', 'deploying');
        const run = await deployOne({
          projectDir: fleet.dir,
          env: client.name,
          target,
          secrets,
          onLine: (line) => {
            const status = summarizeWranglerLine(line);
            if (status) onProgress?.(client.name, 'working', status);
          },
        });
        result.logPath = run.logPath;
        result.durationMs = run.durationMs;
        result.versionId = run.versionId;
        if (!run.ok) {
          result.output = run.tail;
          throw new FleetError(`wrangler deploy --env ${client.name} failed: ${run.failure ?? 'see the log'}`, {
            hint: `Full output: ${run.logPath}`,
          });
        }
        result.url = (await clientUrl(client, target, new Map())).url;
        const version = run.versionId ? ` ${run.versionId.slice(0, 8)}` : '';
        const took = `${((run.durationMs ?? 0) / 1000).toFixed(1)} s`;
        if (options.verify) {
          result.stage = 'verify';
          onProgress?.(client.name, 'working', `deployed${version} (${took}); waiting to verify`);
        } else {
          result.stage = 'done';
          result.ok = true;
          onProgress?.(client.name, 'done', `deployed${version} (${took})`);
        }
        return result;
      } catch (error) {
        result.error = clientFailure(error);
        onProgress?.(client.name, 'failed', result.error.message);
        return result;
      }
    },
  );

  const byClient = new Map<string, DeployResult>();
  runnable.forEach((entry, index) => {
    const outcome = settled[index];
    byClient.set(
      entry.client.name,
      outcome?.ok ? outcome.value : { ...blank(entry.client), stage: 'deploy', error: clientFailure(outcome?.error) },
    );
  });

  const toVerify = runnable.map((entry) => entry.client).filter((client) => byClient.get(client.name)?.stage === 'verify');
  if (toVerify.length > 0) {
    for (const client of toVerify) onProgress?.(client.name, 'working', 'verifying');
    let checks: Map<string, PostDeployCheck>;
    try {
      checks = await verifyClients(fleet, toVerify, target);
    } catch (error) {
      const failure = clientFailure(error);
      checks = new Map(toVerify.map((client) => [client.name, { ok: false, detail: failure.message }]));
    }
    for (const client of toVerify) {
      const result = byClient.get(client.name) as DeployResult;
      result.verify = checks.get(client.name) ?? { ok: false, detail: 'not verified' };
      if (result.verify.ok) {
        result.stage = 'done';
        result.ok = true;
        onProgress?.(client.name, 'done', `deployed${result.versionId ? ` ${result.versionId.slice(0, 8)}` : ''}, verified`);
      } else {
        result.error = {
          message: `${client.name} deployed, but verification failed: ${result.verify.detail}`,
          hint: `Look closer: mcp-fleet verify ${client.name}${target.kind === 'local' ? ' --local' : ''}`,
          exitCode: 1,
        };
        onProgress?.(client.name, 'failed', `verification failed: ${result.verify.detail}`);
      }
    }
  }
  return prepared.map((entry) => byClient.get(entry.client.name) ?? { ...blank(entry.client), error: entry.failure });
}

/**
 * After the deploys: wait for each worker to answer (a new worker may take a moment to start,
 * a new workers.dev name to resolve), then run the verify command's checks on all of them at
 * once, so isolation between the freshly deployed clients is checked too.
 */
export async function verifyDeployed(fleet: Fleet, clients: readonly Client[], target: Target): Promise<Map<string, PostDeployCheck>> {
  const urls = await resolveClientUrls(clients, target, new Map());
  const checks = new Map<string, PostDeployCheck>();
  await Promise.all(
    clients.map(async (client) => {
      const serving = await waitUntilServing(urls.get(client.name)?.url as string);
      if (!serving.ok) checks.set(client.name, serving);
    }),
  );
  const ready = clients.filter((client) => !checks.has(client.name));
  if (ready.length === 0) return checks;
  const report = await verifyFleet({ fleet, clients: ready, target });
  for (const entry of report.clients) {
    const failed = entry.checks.filter((check) => !check.ok);
    checks.set(entry.client, {
      ok: entry.ok,
      detail: entry.ok
        ? `${entry.checks.map((check) => check.name).join(', ')} passed`
        : failed.map((check) => `${check.name}: ${check.detail}`).join('; '),
    });
  }
  return checks;
}

/** A short live status from one line of wrangler's output; undefined for lines that are not a milestone. */
export function summarizeWranglerLine(line: string): string | undefined {
  if (/^Total Upload/i.test(line)) return 'uploading';
  if (/^Uploaded /i.test(line)) return 'uploaded';
  if (/^Deployed /i.test(line)) return 'publishing';
  if (/^Current Version ID/i.test(line)) return 'deployed';
  return undefined;
}

/** Polls GET /health until the worker answers 200, for up to `timeoutMs`. */
export async function waitUntilServing(url: string, options: { timeoutMs?: number } = {}): Promise<PostDeployCheck> {
  const clock = systemClock;
  const deadline = clock.now() + (options.timeoutMs ?? 30_000);
  let detail = '';
  for (;;) {
    try {
      const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(5_000), redirect: 'manual' });
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 200) return { ok: true, detail: 'GET /health answered 200' };
      detail = `GET /health answered ${response.status}`;
    } catch (error) {
      detail = `GET /health: ${describeFetchError(error, 5_000)}`;
    }
    if (clock.now() >= deadline) return { ok: false, detail: `the worker is not serving: ${detail}` };
    await clock.sleep(500);
  }
}
