import { randomBytes } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeFailure, type RunOptions, type RunResult, runTimed } from './measure.ts';

/**
 * The fleet under test: the built mcp-fleet binary, a temp fleet project with N clients, and the
 * local edge that project runs on (started detached, stopped by the pid in its edge.json).
 */

export const repoRoot = resolve(import.meta.dirname, '..');
export const fleetBin = join(repoRoot, 'bin', 'mcp-fleet.js');
export const wranglerBin = join(repoRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

/** Keys appended to the project's template so each client has five secrets (API_KEY and UPSTREAM_TOKEN come with it). */
export const EXTRA_SECRET_KEYS = ['DB_PASSWORD', 'SF_CLIENT_ID', 'SF_CLIENT_SECRET'] as const;

/** The local edge's connection file (.mcp-fleet/local/edge.json), as much of it as the bench reads. */
export interface EdgeInfo {
  apiBaseUrl: string;
  accountId: string;
  token: string;
  pid: number;
  port: number;
  workerUrlTemplate: string;
  workerPathUrlTemplate?: string;
  adminUrl: string;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  script: string | null;
  status: number;
  ms: number;
}

/** Environment shared by every child: no colours, no prompts, no telemetry, wrangler's logs kept in the temp dir. */
export function baseEnv(scratchDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: '1',
    NO_COLOR: '1',
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_LOG_PATH: join(scratchDir, 'wrangler-logs'),
  };
}

/** wrangler pointed at the local edge, as the edge's `local env` prints it. */
export function wranglerEnv(scratchDir: string, edge: EdgeInfo): NodeJS.ProcessEnv {
  return {
    ...baseEnv(scratchDir),
    CLOUDFLARE_API_BASE_URL: edge.apiBaseUrl,
    CLOUDFLARE_API_TOKEN: edge.token,
    CLOUDFLARE_ACCOUNT_ID: edge.accountId,
  };
}

export function workerUrl(edge: EdgeInfo, worker: string): string {
  return edge.workerUrlTemplate.replaceAll('{name}', worker);
}

/** Runs `mcp-fleet -C <project> …`. */
export function runFleet(projectDir: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runTimed(process.execPath, [fleetBin, '-C', projectDir, ...args], options);
}

/** Throws with the command's own words when it fails (setup steps only: measured runs record failures). */
export async function mustRun(what: string, result: Promise<RunResult>): Promise<RunResult> {
  const done = await result;
  if (done.exitCode !== 0) throw new Error(`${what} failed (${describeFailure(done)})`);
  return done;
}

/** Is `mcp-fleet <command…>` known to the built binary? (`--help` exits 0 only for a registered command.) */
export async function hasCommand(path: readonly string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const result = await runTimed(process.execPath, [fleetBin, ...path, '--help'], { env, timeoutMs: 30_000 });
  if (result.exitCode !== 0) return false;
  // commander prints the program's help for an unknown subcommand of a group; require the command's own usage line.
  return new RegExp(`Usage: mcp-fleet ${path.join(' ')}\\b`).test(result.stdout);
}

export function clientNames(count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, index) => `client-${String(index + 1).padStart(Math.max(2, width), '0')}`);
}

/** `init`, five keys in the template, then `add` for each client with values from the environment (not argv). */
export async function createProject(projectDir: string, clients: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  await mustRun('mcp-fleet init', runTimed(process.execPath, [fleetBin, 'init', projectDir], { env, timeoutMs: 120_000 }));
  await appendFile(
    join(projectDir, '.secrets.template'),
    `\n# Added by the benchmark: five secrets per client.\n${EXTRA_SECRET_KEYS.map((key) => `${key}=\n`).join('')}`,
  );
  for (const client of clients) {
    const values: Record<string, string> = { UPSTREAM_TOKEN: randomValue() };
    for (const key of EXTRA_SECRET_KEYS) values[key] = randomValue();
    await mustRun(
      `mcp-fleet add ${client}`,
      runFleet(projectDir, ['add', client, '--from-env', '--yes'], { env: { ...env, ...values }, timeoutMs: 60_000 }),
    );
  }
}

function randomValue(): string {
  return randomBytes(18).toString('base64url');
}

/** A client's secrets file as KEY → value (comments and blank lines skipped). */
export async function readSecrets(projectDir: string, client: string): Promise<Map<string, string>> {
  const text = await readFile(join(projectDir, `.secrets.${client}`), 'utf8');
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    let value = trimmed.slice(eq + 1);
    if (value.length >= 2 && (value.startsWith('"') || value.startsWith("'")) && value.endsWith(value[0]!)) value = value.slice(1, -1);
    values.set(trimmed.slice(0, eq).trim(), value);
  }
  return values;
}

export async function startEdge(projectDir: string, latencyMs: number, env: NodeJS.ProcessEnv): Promise<EdgeInfo> {
  await mustRun(
    'mcp-fleet local start --detach',
    runFleet(projectDir, ['local', 'start', '--detach', '--port', '0', '--latency-ms', String(latencyMs)], { env, timeoutMs: 120_000 }),
  );
  const info = await readEdgeFile(projectDir);
  if (!info) throw new Error(`mcp-fleet local start --detach succeeded but ${edgeFile(projectDir)} is missing or unreadable`);
  return info;
}

export function edgeFile(projectDir: string): string {
  return join(projectDir, '.mcp-fleet', 'local', 'edge.json');
}

export async function readEdgeFile(projectDir: string): Promise<EdgeInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(edgeFile(projectDir), 'utf8')) as EdgeInfo;
    return typeof info.pid === 'number' && typeof info.adminUrl === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM to the edge's pid (it stops its workerd), SIGKILL if it has not exited after `graceMs`. */
export async function stopEdgeByPid(pid: number, graceMs = 20_000): Promise<'stopped' | 'killed' | 'not running'> {
  if (!alive(pid)) return 'not running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return 'killed';
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return 'stopped';
}

/** The edge's admin routes (/__edge/…), same bearer token as its API. */
export class EdgeAdmin {
  private readonly info: EdgeInfo;

  constructor(info: EdgeInfo) {
    this.info = info;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.info.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.info.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const envelope = (await response.json()) as { success: boolean; result: T; errors?: Array<{ message: string }> };
    if (!envelope.success) throw new Error(`local edge ${method} ${path}: ${response.status} ${envelope.errors?.[0]?.message ?? ''}`);
    return envelope.result;
  }

  clearRequests(): Promise<unknown> {
    return this.call('DELETE', '/requests');
  }

  requests(): Promise<RequestLogEntry[]> {
    return this.call('GET', '/requests');
  }
}
