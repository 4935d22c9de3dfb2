import { type Pacer, sharedPacer, systemClock } from '../cloudflare/pacer.js';
import type { Target } from '../cloudflare/target.js';
import { WRANGLER_DEPLOY_API_CALLS, wranglerDeploy } from '../cloudflare/wrangler.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import { FleetError } from '../util/errors.js';
import { type ClientFailure, clientFailure } from './client-failure.js';
import { DEFAULT_CONCURRENCY } from './defaults.js';
import { forEachClient } from './fleet-runner.js';
import type { ProgressListener } from './progress.js';
import { readSecretsToSend } from './secrets-preflight.js';
import { describeFetchError } from './verify/auth-probe.js';
import { clientUrl, resolveClientUrls } from './verify/client-urls.js';
import { verifyFleet } from './verify/verify-fleet.js';

export interface DeployOptions {
  fleet: Fleet;
  clients: readonly Client[];
  target: Target;
  concurrency?: number;
  /** Check each deployed worker afterwards (--no-verify turns it off). */
  verify: boolean;
  onProgress?: ProgressListener;
  pacer?: Pacer;
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
  const { fleet, target } = options;
  const pacer = options.pacer ?? sharedPacer();
  const secrets = new Map<string, Map<string, string>>();
  const results = new Map<string, DeployResult>();
  const resultOf = (client: Client): DeployResult => {
    const existing = results.get(client.name);
    if (existing) return existing;
    const result: DeployResult = {
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
    };
    results.set(client.name, result);
    return result;
  };

  // Preflight every client before anything is uploaded, so bad input is reported up front.
  await forEachClient({
    clients: options.clients,
    concurrency: options.clients.length,
    onProgress: options.onProgress,
    queued: 'checking',
    start: resultOf,
    async work(client, _result, progress) {
      secrets.set(client.name, (await readSecretsToSend(fleet, client)).send);
      progress('queued', 'waiting to deploy');
    },
    failedLine: (failure) => ['skipped', `not deployed: ${failure.message}`],
  });

  const runnable = options.clients.filter((client) => secrets.has(client.name));
  await forEachClient({
    clients: runnable,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.deploy,
    onProgress: options.onProgress,
    start: resultOf,
    async work(client, result, progress) {
      result.stage = 'deploy';
      // wrangler's calls do not pass through our fetch; charge them before it starts.
      if (pacer.delayFor(WRANGLER_DEPLOY_API_CALLS) > 0) progress('working', 'waiting for API budget');
      await pacer.acquire(WRANGLER_DEPLOY_API_CALLS);
      progress('working', 'deploying');
      const run = await wranglerDeploy({
        projectDir: fleet.dir,
        env: client.name,
        target,
        secrets: secrets.get(client.name),
        onLine: (line) => {
          const status = summarizeWranglerLine(line);
          if (status) progress('working', status);
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
      const deployed = `deployed${shortVersion(run.versionId)} (${((run.durationMs ?? 0) / 1000).toFixed(1)} s)`;
      if (options.verify) {
        result.stage = 'verify';
        progress('working', `${deployed}; waiting to verify`);
      } else {
        result.stage = 'done';
        result.ok = true;
        progress('done', deployed);
      }
    },
  });

  const toVerify = runnable.filter((client) => resultOf(client).stage === 'verify');
  if (toVerify.length > 0) {
    for (const client of toVerify) options.onProgress?.(client.name, 'working', 'verifying');
    let checks: Map<string, PostDeployCheck>;
    try {
      checks = await verifyDeployed(fleet, toVerify, target);
    } catch (error) {
      const failure = clientFailure(error);
      checks = new Map(toVerify.map((client) => [client.name, { ok: false, detail: failure.message }]));
    }
    for (const client of toVerify) {
      const result = resultOf(client);
      result.verify = checks.get(client.name) ?? { ok: false, detail: 'not verified' };
      if (result.verify.ok) {
        result.stage = 'done';
        result.ok = true;
        options.onProgress?.(client.name, 'done', `deployed${shortVersion(result.versionId)}, verified`);
      } else {
        result.error = {
          message: `${client.name} deployed, but verification failed: ${result.verify.detail}`,
          hint: `Look closer: mcp-fleet verify ${client.name}${target.kind === 'local' ? ' --local' : ''}`,
          exitCode: 1,
        };
        options.onProgress?.(client.name, 'failed', `verification failed: ${result.verify.detail}`);
      }
    }
  }
  return options.clients.map(resultOf);
}

function shortVersion(versionId: string | undefined): string {
  return versionId ? ` ${versionId.slice(0, 8)}` : '';
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
