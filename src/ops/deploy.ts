import { sharedPacer, systemClock, type Pacer } from '../cloudflare/pacer.js';
import type { Target } from '../cloudflare/target.js';
import { WRANGLER_DEPLOY_API_CALLS, wranglerDeploy, type WranglerDeployOptions, type WranglerDeployResult } from '../cloudflare/wrangler.js';
import type { Client, Fleet } from '../fleet/fleet.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { FleetError } from '../util/errors.js';
import { describeFetchError } from './verify/auth-probe.js';
import {
  assertComplete,
  assertNoUnsettledRotation,
  clientFailure,
  readClientSecrets,
  valuesToSend,
  type ClientFailure,
  type ProgressListener,
} from './client-secrets.js';

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
  /** The post-deploy check (see postDeployCheck). */
  verifyOne?: (url: string) => Promise<PostDeployCheck>;
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
  const verifyOne = options.verifyOne ?? ((url: string) => postDeployCheck(url));
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
  const settled = await mapWithConcurrency(runnable, options.concurrency ?? DEFAULT_DEPLOY_CONCURRENCY, async ({ client, secrets }): Promise<DeployResult> => {
    const result = blank(client);
    result.stage = 'deploy';
    try {
      onProgress?.(client.name, 'working', 'waiting for API budget');
      // wrangler's calls do not pass through our fetch; charge them before it starts.
      await pacer.acquire(WRANGLER_DEPLOY_API_CALLS);
      onProgress?.(client.name, 'working', 'deploying');
      const run = await deployOne({
        projectDir: fleet.dir,
        env: client.name,
        target,
        secrets,
        onLine: (line) => onProgress?.(client.name, 'working', summarizeWranglerLine(line)),
      });
      result.logPath = run.logPath;
      result.durationMs = run.durationMs;
      result.versionId = run.versionId;
      if (!run.ok) {
        result.output = run.tail;
        throw new FleetError(`wrangler deploy --env ${client.name} failed: ${run.failure ?? 'see the log'}`, { hint: `Full output: ${run.logPath}` });
      }
      result.url = await target.workerUrl(client.workerName);
      if (options.verify) {
        result.stage = 'verify';
        onProgress?.(client.name, 'working', `deployed${run.versionId ? ` ${run.versionId.slice(0, 8)}` : ''}; verifying`);
        result.verify = await verifyOne(result.url);
        if (!result.verify.ok) throw new FleetError(`${client.name} deployed, but the check failed: ${result.verify.detail}`, { hint: `Inspect it: mcp-fleet verify ${client.name}` });
      }
      result.stage = 'done';
      result.ok = true;
      onProgress?.(client.name, 'done', `deployed${run.versionId ? ` ${run.versionId.slice(0, 8)}` : ''}${result.verify ? ', verified' : ''} (${((run.durationMs ?? 0) / 1000).toFixed(1)} s)`);
      return result;
    } catch (error) {
      result.error = clientFailure(error);
      onProgress?.(client.name, 'failed', result.error.message);
      return result;
    }
  });

  const byClient = new Map<string, DeployResult>();
  runnable.forEach((entry, index) => {
    const outcome = settled[index];
    byClient.set(entry.client.name, outcome?.ok ? outcome.value : { ...blank(entry.client), stage: 'deploy', error: clientFailure(outcome?.error) });
  });
  return prepared.map((entry) => byClient.get(entry.client.name) ?? { ...blank(entry.client), error: entry.failure });
}

/** A short live status from one line of wrangler's output. */
export function summarizeWranglerLine(line: string): string {
  if (/^Total Upload/i.test(line)) return 'uploading';
  if (/^Uploaded /i.test(line)) return 'uploaded';
  if (/^Deployed /i.test(line)) return 'deployed; publishing';
  if (/Current Version ID/i.test(line)) return 'deployed';
  if (/bundl|build/i.test(line)) return 'bundling';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

/**
 * The check after a deploy until the verify command's own checks are wired in here: the worker
 * answers /ready with 200, i.e. it runs and has every required secret. A fresh worker may take a
 * moment to start, so it is asked again for a while.
 */
export async function postDeployCheck(url: string, options: { timeoutMs?: number } = {}): Promise<PostDeployCheck> {
  const clock = systemClock;
  const deadline = clock.now() + (options.timeoutMs ?? 30_000);
  let detail = '';
  for (;;) {
    try {
      const response = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(5_000), redirect: 'manual' });
      const body = await response.text().catch(() => '');
      if (response.status === 200) return { ok: true, detail: 'GET /ready answered 200' };
      detail = `GET /ready answered ${response.status}${readyMissing(body)}`;
    } catch (error) {
      detail = `GET /ready: ${describeFetchError(error, 5_000)}`;
    }
    if (clock.now() >= deadline) return { ok: false, detail };
    await clock.sleep(500);
  }
}

/** The template's /ready lists missing secret names (never values); show them. */
function readyMissing(body: string): string {
  try {
    const parsed = JSON.parse(body) as { missing?: unknown };
    if (Array.isArray(parsed.missing) && parsed.missing.length > 0) return ` (missing ${parsed.missing.filter((name) => typeof name === 'string').join(', ')})`;
  } catch {
    // not JSON: nothing to add
  }
  return '';
}
