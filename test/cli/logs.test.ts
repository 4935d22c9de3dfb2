import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type LogEventJson, type LogsJson, SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { binPath } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet logs` through the built binary against workers on the local edge: what requests made
 * while it runs write (the request line, the template's refusal line) shows up prefixed with each
 * client; Ctrl-C ends it with exit 0 and deletes every tail it opened (2 API calls per client); a
 * credential sent to a worker never appears; --json is one event per line; --since is refused.
 */

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('logs', ['acme', 'globex', 'newco']);
  const deployed = await fleet.cli(['deploy', 'acme', 'globex', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

interface Running {
  child: ResultPromise;
  out: () => string;
  err: () => string;
  /** Ctrl-C, then what it printed and its exit code. */
  stop: () => Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

function startLogs(args: string[]): Running {
  const child = execa(process.execPath, [binPath, 'logs', ...args, '--local'], {
    cwd: fleet.dir,
    env: { CI: '1', NO_COLOR: '1' },
    reject: false,
    buffer: false,
    stdin: 'ignore',
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    child,
    out: () => stdout,
    err: () => stderr,
    stop: async () => {
      child.kill('SIGINT');
      const result = await child;
      fleet.leaks.record(`stdout of mcp-fleet logs ${args.join(' ')}`, stdout);
      fleet.leaks.record(`stderr of mcp-fleet logs ${args.join(' ')}`, stderr);
      return { exitCode: result.exitCode ?? -1, stdout, stderr };
    },
  };
}

/** POST /mcp with a key the worker does not hold, or none. */
async function refusedMcp(client: string, key?: string): Promise<number> {
  const response = await fetch(`${fleet.workerUrl(client)}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: '{}',
  });
  await response.body?.cancel();
  return response.status;
}

async function health(client: string, marker: string): Promise<void> {
  const response = await fetch(`${fleet.workerUrl(client)}/health?m=${marker}`);
  await response.body?.cancel();
}

/** The worker's live tail (`GET …/tails` answers one, as Cloudflare's schema has it), or null. */
async function tailOf(worker: string): Promise<unknown> {
  const { info } = fleet.edge;
  const response = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}/workers/scripts/${worker}/tails`, {
    headers: { authorization: `Bearer ${info.token}` },
  });
  return ((await response.json()) as { result: unknown }).result;
}

describe('logs', () => {
  test('shows what requests made during the test write, each line prefixed with its client; Ctrl-C deletes every tail (2 API calls a client)', async () => {
    const since = await fleet.lastSeq();
    const logs = startLogs(['acme', 'globex']);
    const credential = randomValue('logs-test-credential');
    fleet.leaks.addSecret(credential, 'a wrong key sent to acme by the test');
    try {
      await vi.waitFor(
        () => expect(logs.err()).toMatch(/acme: streaming[\s\S]*globex: streaming|globex: streaming[\s\S]*acme: streaming/),
        {
          timeout: 60_000,
          interval: 200,
        },
      );
      const marker = `m${Date.now()}`;
      // A tail starts delivering a moment after it opens (as on Cloudflare): keep asking until the lines come.
      await vi.waitFor(
        async () => {
          expect(await refusedMcp('acme', credential)).toBe(401);
          expect(await refusedMcp('globex')).toBe(401);
          await health('acme', marker);
          expect(logs.out()).toMatch(/^acme\s+\d\d:\d\d:\d\d {4}warn {2}auth: refused 401, credential not valid$/m);
          expect(logs.out()).toMatch(/^globex\s+\d\d:\d\d:\d\d {4}warn {2}auth: refused 401, no credential sent$/m);
          expect(logs.out()).toMatch(new RegExp(`^acme\\s+\\d\\d:\\d\\d:\\d\\d  GET /health\\?m=${marker} 200$`, 'm'));
        },
        { timeout: 60_000, interval: 500 },
      );
      expect(logs.out()).toMatch(/^acme\s+\d\d:\d\d:\d\d {2}POST \/mcp 401$/m);
    } finally {
      const ended = await logs.stop();
      expect(ended.exitCode, ended.stderr).toBe(0);
      expect(ended.stdout).not.toContain(credential);
      expect(ended.stderr).toMatch(/2 tails deleted/);
    }
    const calls = (await fleet.requests(since)).filter((entry) => entry.route?.includes('/tails'));
    for (const worker of ['acme', 'globex']) {
      expect(calls.filter((c) => c.script === worker).map((c) => `${c.status} ${c.method}`)).toEqual(['200 POST', '200 DELETE']);
      expect(await tailOf(worker)).toBeNull();
    }
  });

  test('--json: one event per line, no headers; a closing line per run', async () => {
    const logs = startLogs(['acme', '--json']);
    const marker = `j${Date.now()}`;
    try {
      await vi.waitFor(() => expect(logs.err()).toContain('acme: streaming'), { timeout: 60_000, interval: 200 });
      await vi.waitFor(
        async () => {
          await health('acme', marker);
          expect(logs.out()).toContain(marker);
        },
        { timeout: 60_000, interval: 500 },
      );
    } finally {
      const ended = await logs.stop();
      expect(ended.exitCode, ended.stderr).toBe(0);
      const lines = ended.stdout.trim().split('\n');
      const parsed = lines.map((line) => JSON.parse(line) as LogEventJson | LogsJson);
      // NDJSON: every line is a document of its own, with its schema version.
      expect(parsed.map((entry) => entry.schemaVersion)).toEqual(parsed.map(() => SCHEMA_VERSION));
      const event = parsed.find((entry): entry is LogEventJson => !('clients' in entry) && JSON.stringify(entry).includes(marker));
      expect(event).toMatchObject({ client: 'acme', worker: 'acme', outcome: 'ok', request: { method: 'GET', status: 200 } });
      expect(event?.request?.url).toMatch(new RegExp(`/health\\?m=${marker}$`));
      expect(ended.stdout).not.toMatch(/"headers"|"cf"/);
      expect(parsed.at(-1)).toMatchObject({ ok: true, clients: [{ client: 'acme', tails: 1, leftOpen: 0, ended: 'stopped' }] });
    }
  });

  test('a client without a worker fails alone (exit 1); --since is not an option (the tail is live-only), exit 2', async () => {
    const logs = startLogs(['newco', 'acme']);
    await vi.waitFor(() => expect(logs.err()).toContain('acme: streaming'), { timeout: 60_000, interval: 200 });
    const ended = await logs.stop();
    expect(ended.exitCode).toBe(1);
    expect(ended.stderr).toMatch(/newco: worker newco does not exist/);
    expect(ended.stderr).toMatch(/Deploy it first: .*mcp-fleet(\.js)? deploy newco --local/);
    expect(await tailOf('acme')).toBeNull();

    const since = await fleet.cli(['logs', 'acme', '--local', '--since', '1h']);
    expect(since.exitCode).toBe(2);
    expect(since.stderr).toMatch(/unknown option '--since'/);
  });
});
