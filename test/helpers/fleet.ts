import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type RunningEdge, startEdge } from '../../src/local/edge.js';
import { keyAccepted } from '../../src/ops/verify/auth-probe.js';
import { SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { installLocalhostResolver } from '../../src/util/localhost-resolver.js';
import { type CliResult, type RunOptions, runCli, tempDir } from './cli.js';
import { LeakWatch } from './leaks.js';

/**
 * A fleet project made by the built binary (`init`, `add --from-env`) with its own local edge
 * started in the test process, and every command's output fed to a LeakWatch.
 */
export interface TestFleet {
  dir: string;
  edge: RunningEdge;
  leaks: LeakWatch;
  /** Runs mcp-fleet in the project (records its output, refreshes the watched secret values). */
  cli(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /** Same, with --json, parsing stdout. */
  cliJson<T>(args: readonly string[], options?: RunOptions): Promise<CliResult & { json: T }>;
  add(client: string): Promise<void>;
  secrets(client: string): Promise<Map<string, string>>;
  setSecret(client: string, key: string, value: string): Promise<void>;
  /** Names of the worker's secrets according to the edge (undefined when it has no such worker). */
  remoteSecrets(worker: string): Promise<string[] | undefined>;
  /** Does the worker accept this API key on /mcp? */
  accepts(worker: string, key: string): Promise<boolean>;
  refuses(worker: string, key: string): Promise<boolean>;
  /** Waits until the worker accepts `key` (secrets apply asynchronously). */
  eventuallyAccepts(worker: string, key: string, timeoutMs?: number): Promise<boolean>;
  /** API requests the edge logged after `since` (a seq), optionally for one script. */
  requests(since?: number): Promise<EdgeRequest[]>;
  lastSeq(): Promise<number>;
  setFaults(patch: Record<string, unknown>): Promise<void>;
  workerUrl(worker: string): string;
  cleanup(): Promise<void>;
}

export interface EdgeRequest {
  seq: number;
  method: string;
  path: string;
  route: string | null;
  script: string | null;
  status: number;
  fault: 'error' | 'rate-limited' | null;
  /** Body fields the edge took without applying them (outside the operation's schema). */
  ignored: string[];
}

export function randomValue(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`;
}

export interface TestFleetOptions {
  /** Let workers reach servers on this machine (a test upstream or identity provider), as `local start --allow-loopback-upstream` does. */
  allowLoopbackUpstream?: boolean;
}

export async function createTestFleet(prefix: string, clients: readonly string[], options: TestFleetOptions = {}): Promise<TestFleet> {
  const root = await tempDir(`mcp-fleet-test-${prefix}-`);
  const dir = join(root.dir, 'fleet');
  const leaks = new LeakWatch();
  leaks.startPolling();
  const childLog = leaks.childLog(join(root.dir, 'child-argv.jsonl'));
  installLocalhostResolver();

  const run = async (args: readonly string[], options: RunOptions = {}): Promise<CliResult> => {
    const result = await runCli(args, { cwd: dir, timeout: 300_000, ...options, env: { MCP_FLEET_CHILD_LOG: childLog, ...options.env } });
    leaks.record(`stdout of mcp-fleet ${args.join(' ')}`, result.stdout);
    leaks.record(`stderr of mcp-fleet ${args.join(' ')}`, result.stderr);
    await leaks.addSecretsOf(dir).catch(() => undefined);
    return result;
  };

  const init = await runCli(['init', dir], { cwd: root.dir });
  if (init.exitCode !== 0) throw new Error(`init failed: ${init.stderr}`);
  const edge = await startEdge({ projectDir: dir, port: 0, allowLoopbackUpstream: options.allowLoopbackUpstream ?? false });
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${edge.info.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${edge.info.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { success: boolean; result: unknown; errors: unknown };
    if (!json.success) throw new Error(`edge admin ${method} ${path}: ${JSON.stringify(json.errors)}`);
    return json.result;
  };
  const workerUrl = (worker: string): string => edge.info.workerUrlTemplate.replace('{name}', worker);

  const fleet: TestFleet = {
    dir,
    edge,
    leaks,
    cli: run,
    async cliJson<T>(args: readonly string[], options?: RunOptions) {
      const result = await run(['--json', ...args], options);
      let json: T;
      try {
        json = JSON.parse(result.stdout) as T;
      } catch {
        throw new Error(`mcp-fleet ${args.join(' ')} printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
      }
      // Every document says its schema version (list: each entry), so a command that loses it fails every test that reads it.
      for (const document of Array.isArray(json) ? json : [json]) {
        expect((document as { schemaVersion?: unknown }).schemaVersion, `schemaVersion of mcp-fleet ${args.join(' ')}`).toBe(
          SCHEMA_VERSION,
        );
      }
      return { ...result, json };
    },
    async add(client) {
      const token = randomValue(`up-${client}`);
      leaks.addSecret(token, `UPSTREAM_TOKEN of ${client}`);
      const result = await run(['add', client, '--from-env', '--yes'], { env: { UPSTREAM_TOKEN: token } });
      if (result.exitCode !== 0) throw new Error(`add ${client} failed: ${result.stderr}`);
    },
    async secrets(client) {
      const text = await readFile(join(dir, `.secrets.${client}`), 'utf8');
      const values = new Map<string, string>();
      for (const line of text.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith('#')) values.set(line.slice(0, eq), line.slice(eq + 1));
      }
      return values;
    },
    async setSecret(client, key, value) {
      leaks.addSecret(value, `${key} of ${client} (set by the test)`);
      const path = join(dir, `.secrets.${client}`);
      const text = await readFile(path, 'utf8');
      const lines = text.split('\n');
      const index = lines.findIndex((line) => line.startsWith(`${key}=`));
      if (index === -1) lines.splice(lines.length - 1, 0, `${key}=${value}`);
      else lines[index] = `${key}=${value}`;
      await writeFile(path, lines.join('\n'), { mode: 0o600 });
    },
    async remoteSecrets(worker) {
      const workers = (await admin('GET', '/workers')) as { name: string; secrets: string[] }[];
      return workers.find((entry) => entry.name === worker)?.secrets;
    },
    async accepts(worker, key) {
      return (await keyAccepted(workerUrl(worker), key, { timeoutMs: 10_000 })).accepted;
    },
    async refuses(worker, key) {
      return (await keyAccepted(workerUrl(worker), key, { timeoutMs: 10_000 })).refused;
    },
    async eventuallyAccepts(worker, key, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await fleet.accepts(worker, key)) return true;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async requests(since = 0) {
      return (await admin('GET', `/requests?since=${since}`)) as EdgeRequest[];
    },
    async lastSeq() {
      const all = (await admin('GET', '/requests')) as EdgeRequest[];
      return all.at(-1)?.seq ?? 0;
    },
    async setFaults(patch) {
      await admin('PUT', '/faults', patch);
    },
    workerUrl,
    async cleanup() {
      leaks.stopPolling();
      await edge.stop();
      await root.cleanup();
    },
  };
  for (const client of clients) await fleet.add(client);
  return fleet;
}

/** After a file's tests: no secret value leaked in anything any of them ran, and the fleet and its edge are gone. */
export async function closeTestFleet(fleet: TestFleet | undefined): Promise<void> {
  if (!fleet) return;
  try {
    expect((await fleet.leaks.findLeaks()).leaks).toEqual([]);
  } finally {
    await fleet.cleanup();
  }
}

/** API calls per script among edge log entries. */
export function callsPerScript(entries: readonly EdgeRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of entries) {
    const key = entry.script ?? '(account)';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
