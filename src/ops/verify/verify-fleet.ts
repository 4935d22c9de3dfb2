import { randomBytes } from 'node:crypto';
import type { KvApi } from '../../cloudflare/kv.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { SIGNING_KEY } from '../../secrets/jwt-keys.js';
import type { SecretsFile } from '../../secrets/secrets-file.js';
import { ExitCode, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { createRedactor } from '../../util/redact.js';
import { TIMEOUT_MS } from '../../util/timeouts.js';
import type { ClientFailure } from '../fleet/client-failure.js';
import { DEFAULT_CONCURRENCY } from '../fleet/defaults.js';
import type { ClientProgress, ProgressListener } from '../fleet/progress.js';
import { type ClientOutcome, forEachClient } from '../fleet/runner.js';
import { clientModes, identityNamespaceOf } from '../identity/store.js';
import { type CheckResult, checkAuth, checkHealth, checkReady, originCheck, probeOrigin } from './checks.js';
import { type ClientUrl, resolveClientUrls, type WorkerUrlSource } from './client-urls.js';
import { checkIsolation, type IsolationProbe, otherKeysBarred } from './isolation.js';
import { checkJwt } from './jwt-check.js';
import { generationReports, identityCheck, mcpCheck, requiredOf } from './mcp-checks.js';
import { probeMcp } from './mcp-probe.js';
import { checkOAuth } from './oauth-check.js';
import { checkOAuthSignIn } from './oauth-signin.js';
import { withVersionPin } from './probe-agent.js';
import type { ProtocolRequirement } from './protocol.js';
import { readKeysAndValues, redactResult } from './run-secrets.js';
import type { ClientVerification, FleetVerification } from './verification.js';
import { type KeyFindings, type SecretNamesSource, workerKeyFindings } from './worker-keys.js';

export interface VerifyFleetOptions {
  /** The project the clients belong to. */
  fleet: Fleet;
  /** The clients to verify (from selectClients), in report order. */
  clients: readonly Client[];
  /** Forms worker URLs (workers.dev or the local edge); asked only for clients without an override or route. */
  target: WorkerUrlSource;
  /** `--url` overrides by client name (see parseUrlOverrides). */
  urls?: ReadonlyMap<string, string>;
  concurrency?: number;
  timeoutMs?: number;
  /**
   * Which MCP generations each worker must speak. Default `served` (each one it speaks must work),
   * which is what deploy and demo check after an upload; the verify command passes its --protocol.
   */
  protocol?: ProtocolRequirement;
  /** Each client's line as it finishes: `done` when every check passed, else `failed` (for progress output). */
  onProgress?: ProgressListener;
  /**
   * The worker's secret names (one API call per client), so `auth` finds a previous key the file
   * does not name. The verify command passes it; a check after a deploy does not (its calls are counted).
   */
  secretNames?: SecretNamesSource;
  /** verify --sign-in: the OAuth flow end to end for clients in oauth mode, through their identity namespace (4 API calls each). */
  signIn?: KvApi;
  /** Clients whose traffic is split: their checks are pinned to this version (the override header), by client name. */
  pins?: ReadonlyMap<string, string>;
}

/** The client name `whoami` must report: the env's CLIENT_ID var, or the client's name. */
export function expectedClientId(client: Client): string {
  const vars = client.env.vars;
  const id = vars !== undefined ? vars.CLIENT_ID : undefined;
  return typeof id === 'string' && id !== '' ? id : client.name;
}

/**
 * Smoke-checks the selected clients' workers: health, ready, auth, origin, a real MCP session in
 * each generation with the client's own key (required as `protocol` says), identity (whoami), and
 * — with two or more clients — isolation. Isolation is a ring (each worker is tried with the next
 * client's key): N probes catch a shared or leaked key without the N² of trying every pair. A
 * neighbour's key goes only to a worker URL the target itself forms (see otherKeysBarred). Never
 * throws for a failing worker; bad input throws a usage error before any request.
 */
export async function verifyFleet(options: VerifyFleetOptions): Promise<FleetVerification> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS.verifyRequest;
  const protocol = options.protocol ?? 'served';
  const { clients, target } = options;
  if (clients.length === 0) throw usageError('no clients to verify');
  const { keys, files, values } = await readKeysAndValues(clients);
  const urls = await resolveClientUrls(clients, target, options.urls ?? new Map<string, string>());
  const neighbours = new Map(clients.map((client, index) => [client, clients[(index + 1) % clients.length] as Client] as const));
  // One random key per run: no worker can hold it, and it never leaves a request header.
  const wrongKey = `mcpf_wrong_${randomBytes(24).toString('base64url')}`;
  const redact = createRedactor([...values, wrongKey]);

  const runs = await forEachClient<ClientVerification & ClientOutcome>({
    clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.verify,
    onProgress: options.onProgress,
    start: (client) => ({ client: client.name, url: urls.get(client.name)?.url ?? '', ok: false, ms: 0, checks: [] }),
    work: (client, result, progress) => {
      const versionId = options.pins?.get(client.name);
      return withVersionPin(versionId === undefined ? undefined : { worker: client.workerName, versionId }, () =>
        verifyOne(client, result, progress),
      );
    },
    failedLine: (failure) => ['failed', unexpected(failure, redact)],
  });
  async function verifyOne(client: Client, result: ClientVerification & ClientOutcome, progress: ClientProgress) {
    // Both maps hold every selected client (the reads above throw otherwise).
    const entry = urls.get(client.name) as ClientUrl;
    const key = keys.get(client.name) as string;
    const other = clients.length > 1 ? neighbours.get(client) : undefined;
    let isolation: IsolationProbe | undefined;
    if (other !== undefined) {
      const barred = await otherKeysBarred(client, entry, target);
      isolation =
        barred === undefined ? { otherClient: other.name, otherKey: keys.get(other.name) as string } : { otherClient: other.name, barred };
    }
    const sharesKeyWith = clients.filter((c) => c !== client && keys.get(c.name) === key).map((c) => c.name);
    const keyFindings = await workerKeyFindings(client, files.get(client.name) as SecretsFile, options.secretNames);
    const verified = await verifyClient({
      client,
      url: entry.url,
      signingKey: files.get(client.name)?.values.get(SIGNING_KEY),
      signIn: options.signIn,
      neighbourUrl: other === undefined ? undefined : urls.get(other.name)?.url,
      key,
      isolation,
      wrongKey,
      timeoutMs,
      protocol,
      sharesKeyWith,
      keyFindings,
      redact,
    });
    // The API knows no such worker and /health failed: nothing is deployed there, said once.
    if (keyFindings.absent && !verified.checks[0]?.ok) {
      verified.notDeployed = {
        detail: `${target.kind === 'local' ? 'the local edge' : 'the Cloudflare account'} has no worker ${client.workerName}`,
        hint: `deploy it: ${commandLine('deploy', client.name)}`,
      };
    }
    Object.assign(result, redactResult(verified, redact));
    const failed = result.checks.filter((check) => !check.ok).map((check) => check.name);
    progress(failed.length === 0 ? 'done' : 'failed', failed.length === 0 ? 'every check passed' : `${failed.join(', ')} failed`);
  }
  const results = runs.map(({ error, ...result }): ClientVerification => {
    if (error === undefined) return result;
    // A bug in a check must not hide the other clients' results; it becomes this client's failure.
    const checks: CheckResult[] = [{ name: 'health', ok: false, ms: 0, detail: unexpected(error, redact) }];
    return { client: result.client, url: redact(result.url), ok: false, ms: 0, checks };
  });
  return { ok: results.every((result) => result.ok), ms: Math.round(performance.now() - started), protocol, clients: results };
}

function unexpected(failure: ClientFailure, redact: (text: string) => string): string {
  return redact(`verify failed unexpectedly: ${failure.message}`);
}

interface VerifyClientInput {
  client: Client;
  url: string;
  signIn: KvApi | undefined;
  /** The client's private JWT signing key (its secrets file), to prove mode jwt with tokens signed here. */
  signingKey: string | undefined;
  neighbourUrl: string | undefined;
  key: string;
  /** With two or more clients: the neighbour whose key this worker must refuse, or why it may not be sent. */
  isolation: IsolationProbe | undefined;
  wrongKey: string;
  timeoutMs: number;
  protocol: ProtocolRequirement;
  /** Other selected clients whose secrets files hold the same API_KEY. */
  sharesKeyWith: string[];
  /** What auth adds about the keys that open the worker. */
  keyFindings: KeyFindings;
  /** Blanks this run's secrets out of what workers send, before it is cut to length. */
  redact: (text: string) => string;
}

async function verifyClient(input: VerifyClientInput): Promise<ClientVerification> {
  const { client, url, key, isolation: probe, wrongKey, timeoutMs, protocol, sharesKeyWith, keyFindings, redact } = input;
  const started = performance.now();
  // The checks are independent requests; running them side by side keeps a slow or hung worker to one timeout.
  const [health, ready, auth, foreignOrigin, session, isolation] = await Promise.all([
    checkHealth(url, { timeoutMs }),
    checkReady(url, { timeoutMs }),
    checkAuth(url, { timeoutMs, wrongKey, keys: keyFindings }),
    probeOrigin(url, key, { timeoutMs }),
    probeMcp(url, key, { timeoutMs, redact }),
    probe === undefined ? Promise.resolve(undefined) : checkIsolation(url, { timeoutMs, probe, sharesKeyWith }),
  ]);
  // Origin validation came with the 2026-07-28 template: a worker not required to speak it is only told it lacks it.
  const origin = originCheck(foreignOrigin, requiredOf(session, protocol).includes('modern'));
  const checks: CheckResult[] = [
    health,
    ready,
    auth,
    origin,
    mcpCheck(session, protocol),
    identityCheck(session, expectedClientId(client)),
  ];
  if (isolation !== undefined) checks.push(isolation);
  const modes = clientModes(client);
  if (modes.includes('jwt')) checks.push(await jwtCheck(input));
  if (modes.includes('oauth')) checks.push(await checkOAuth({ url, neighbourUrl: input.neighbourUrl, timeoutMs }));
  const namespace = identityNamespaceOf(client);
  if (modes.includes('oauth') && input.signIn && namespace)
    checks.push(
      await checkOAuthSignIn({ url, client: expectedClientId(client), kv: input.signIn, namespace, timeoutMs, redact: input.redact }),
    );
  const result: ClientVerification = {
    client: client.name,
    url,
    ok: checks.every((check) => check.ok),
    ms: Math.round(performance.now() - started),
    checks,
  };
  const server = session.modern.server ?? session.legacy.server;
  if (server !== undefined) result.mcp = server;
  result.protocols = generationReports(session, protocol);
  return result;
}

/** Mode jwt, as a host would see it; without a signing key in the secrets file there is nothing to sign with. */
async function jwtCheck(input: VerifyClientInput): Promise<CheckResult> {
  if (!input.signingKey)
    return {
      name: 'jwt',
      ok: false,
      ms: 0,
      detail: `${input.client.name} accepts jwt but its secrets file has no ${SIGNING_KEY} (${commandLine('auth', input.client.name, clientModes(input.client).join(','))} makes one)`,
    };
  try {
    return await checkJwt({
      url: input.url,
      client: expectedClientId(input.client),
      signingKey: input.signingKey,
      neighbourUrl: input.neighbourUrl,
      timeoutMs: input.timeoutMs,
      redact: input.redact,
    });
  } catch (error) {
    return { name: 'jwt', ok: false, ms: 0, detail: input.redact(`could not sign a token: ${(error as Error).message}`) };
  }
}

/** A verify run fails (exit 1) when any check of any client failed. */
export function verifyExitCode(report: { ok: boolean }): ExitCode {
  return report.ok ? ExitCode.ok : ExitCode.failed;
}
