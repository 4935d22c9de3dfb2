import { randomBytes } from 'node:crypto';
import { API_KEY, type Client, type Fleet } from '../../fleet/fleet.js';
import { readSecretsFile } from '../../secrets/secrets-file.js';
import { mapWithConcurrency } from '../../util/concurrency.js';
import { describeError, ExitCode, usageError } from '../../util/errors.js';
import { type CheckResult, checkAuth, checkHealth, checkIsolation, checkReady, originCheck, probeOrigin } from './checks.js';
import { resolveClientUrls, type WorkerUrlSource } from './client-urls.js';
import { type GenerationReport, generationReports, identityCheck, mcpCheck, requiredOf } from './mcp-checks.js';
import { type McpServerInfo, probeMcp } from './mcp-probe.js';
import type { ProtocolRequirement } from './protocol.js';

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ClientVerification {
  client: string;
  url: string;
  ok: boolean;
  /** Wall time of all of this client's checks. */
  ms: number;
  checks: CheckResult[];
  /** What the MCP session reported (the modern one when it worked), when one got that far. */
  mcp?: McpServerInfo;
  /** Per generation (modern, legacy): whether the worker serves it and which revisions. */
  protocols?: GenerationReport[];
}

export interface FleetVerification {
  ok: boolean;
  ms: number;
  /** The MCP generations every worker had to speak (--protocol). */
  protocol: ProtocolRequirement;
  clients: ClientVerification[];
}

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
  /** Called as each client finishes, for progress output. */
  onClientDone?: (result: ClientVerification) => void;
}

/** API_KEY per client, and every value of the clients' secrets files (to redact from reports). */
async function readKeysAndValues(clients: readonly Client[]): Promise<{ keys: Map<string, string>; values: string[] }> {
  const keys = new Map<string, string>();
  const values = new Set<string>();
  const problems: string[] = [];
  for (const client of clients) {
    let file: Awaited<ReturnType<typeof readSecretsFile>>;
    try {
      file = await readSecretsFile(client.secretsPath);
    } catch (error) {
      problems.push(describeError(error));
      continue;
    }
    if (file === undefined) {
      problems.push(`client "${client.name}": no secrets file (${client.secretsPath} is missing)`);
      continue;
    }
    for (const value of file.values.values()) values.add(value);
    const key = file.values.get(API_KEY);
    if (key === undefined || key.trim() === '') {
      problems.push(`client "${client.name}": ${API_KEY} is ${key === undefined ? 'missing' : 'empty'} in ${client.secretsPath}`);
      continue;
    }
    keys.set(client.name, key);
  }
  if (problems.length > 0) {
    throw usageError(
      problems.length === 1 ? (problems[0] as string) : `cannot verify:\n  ${problems.join('\n  ')}`,
      "verify authenticates with each client's own API_KEY from .secrets.<client>; create it with: mcp-fleet add <client>",
    );
  }
  return { keys, values: [...values] };
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
 * — with two or more clients — isolation. Isolation is a
 * ring (each worker is tried with the next client's key): N probes catch a shared or leaked key
 * without the N² of trying every pair. Never throws for a failing worker; bad input throws
 * a usage error before any request.
 */
export async function verifyFleet(options: VerifyFleetOptions): Promise<FleetVerification> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const protocol = options.protocol ?? 'served';
  const clients = options.clients;
  if (clients.length === 0) throw usageError('no clients to verify');
  const { keys, values } = await readKeysAndValues(clients);
  const resolved = await resolveClientUrls(clients, options.target, options.urls ?? new Map<string, string>());
  const urls = new Map([...resolved].map(([name, entry]) => [name, entry.url] as const));
  // One random key per run: no worker can hold it, and it never leaves a request header.
  const wrongKey = `mcpf_wrong_${randomBytes(24).toString('base64url')}`;
  // Longest first, so that a value containing another is blanked whole.
  const secrets = [...values, wrongKey].sort((a, b) => b.length - a.length);

  const settled = await mapWithConcurrency(clients, concurrency, async (client, index) => {
    const url = urls.get(client.name) as string;
    const key = keys.get(client.name) as string;
    const other = clients.length > 1 ? clients[(index + 1) % clients.length] : undefined;
    const sharesKeyWith = clients.filter((c) => c !== client && keys.get(c.name) === key).map((c) => c.name);
    const result = await verifyClient({
      client,
      url,
      key,
      other,
      otherKey: other ? keys.get(other.name) : undefined,
      wrongKey,
      timeoutMs,
      protocol,
      sharesKeyWith,
    });
    const safe = redactResult(result, secrets);
    options.onClientDone?.(safe);
    return safe;
  });

  const results = settled.map((entry, index): ClientVerification => {
    if (entry.ok) return entry.value;
    // A bug in a check must not hide the other clients' results; it becomes this client's failure.
    const client = clients[index] as Client;
    const failure: ClientVerification = {
      client: client.name,
      url: urls.get(client.name) ?? '',
      ok: false,
      ms: 0,
      checks: [{ name: 'health', ok: false, ms: 0, detail: `verify failed unexpectedly: ${describeError(entry.error)}` }],
    };
    const safe = redactResult(failure, secrets);
    options.onClientDone?.(safe);
    return safe;
  });
  return { ok: results.every((result) => result.ok), ms: Math.round(performance.now() - started), protocol, clients: results };
}

interface VerifyClientInput {
  client: Client;
  url: string;
  key: string;
  other: Client | undefined;
  otherKey: string | undefined;
  wrongKey: string;
  timeoutMs: number;
  protocol: ProtocolRequirement;
  /** Other selected clients whose secrets files hold the same API_KEY. */
  sharesKeyWith: string[];
}

async function verifyClient(input: VerifyClientInput): Promise<ClientVerification> {
  const { client, url, key, other, otherKey, wrongKey, timeoutMs, protocol } = input;
  const started = performance.now();
  // The checks are independent requests; running them side by side keeps a slow or hung worker to one timeout.
  const [health, ready, auth, foreignOrigin, probe, isolation] = await Promise.all([
    checkHealth(url, { timeoutMs }),
    checkReady(url, { timeoutMs }),
    checkAuth(url, { timeoutMs, wrongKey }),
    probeOrigin(url, key, { timeoutMs }),
    probeMcp(url, key, { timeoutMs }),
    other !== undefined && otherKey !== undefined
      ? checkIsolation(url, { timeoutMs, otherClient: other.name, otherKey, sharesKeyWith: input.sharesKeyWith })
      : Promise.resolve(undefined),
  ]);
  // Origin validation came with the 2026-07-28 template: a worker not required to speak it is only told it lacks it.
  const origin = originCheck(foreignOrigin, requiredOf(probe, protocol).includes('modern'));
  const checks: CheckResult[] = [health, ready, auth, origin, mcpCheck(probe, protocol), identityCheck(probe, expectedClientId(client))];
  if (isolation !== undefined) checks.push(isolation);
  const result: ClientVerification = {
    client: client.name,
    url,
    ok: checks.every((check) => check.ok),
    ms: Math.round(performance.now() - started),
    checks,
  };
  const server = probe.modern.server ?? probe.legacy.server;
  if (server !== undefined) result.mcp = server;
  result.protocols = generationReports(probe, protocol);
  return result;
}

/**
 * Belt and braces: no check puts a key into a detail, but a worker could echo one back in an
 * error body, so every secret value this run has read (and the wrong key) is blanked out of
 * everything it reports. Values shorter than 6 characters are left: blanking them would garble text.
 */
function redactResult(result: ClientVerification, secrets: readonly string[]): ClientVerification {
  const redact = (text: string): string =>
    secrets.reduce((out, secret) => (secret.length >= 6 ? out.split(secret).join('[redacted]') : out), text);
  const copy: ClientVerification = {
    ...result,
    url: redact(result.url),
    checks: result.checks.map((check) => ({ ...check, detail: redact(check.detail) })),
  };
  if (result.mcp !== undefined) {
    copy.mcp = {
      ...result.mcp,
      name: redact(result.mcp.name),
      version: redact(result.mcp.version),
      tools: result.mcp.tools.map(redact),
    };
  }
  if (result.protocols !== undefined) {
    copy.protocols = result.protocols.map((entry) => (entry.error === undefined ? entry : { ...entry, error: redact(entry.error) }));
  }
  return copy;
}

/** A verify run fails (exit 1) when any check of any client failed. */
export function verifyExitCode(report: { ok: boolean }): ExitCode {
  return report.ok ? ExitCode.ok : ExitCode.failed;
}
