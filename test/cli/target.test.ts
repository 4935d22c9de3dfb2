import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type EdgeInfo, readEdgeInfo } from '../../src/local/lifecycle/edge-file.js';
import type { RollbackJson, StatusJson } from '../../src/ui/json/index.js';
import { isAlive } from '../../src/util/process-alive.js';
import { type CliResult, runCli, tempDir } from '../helpers/cli.js';

/**
 * One target, remembered: `local start` makes the local edge the project's target until
 * `local stop`, so the commands (and the next steps they print) run without --local; --remote and
 * MCP_FLEET_TARGET pick otherwise; every command says which target it acts on; and a dead edge is
 * said, never quietly swapped for Cloudflare. Through the built binary, with an edge it started.
 */

let root: Awaited<ReturnType<typeof tempDir>>;
let dir: string;
let info: EdgeInfo;

/** No token and no target in the environment unless a test gives them; wrangler never phones home. */
function run(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, {
    cwd: dir,
    timeout: 300_000,
    env: { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_API_TOKEN: '', CLOUDFLARE_ACCOUNT_ID: '', MCP_FLEET_TARGET: '', ...env },
  });
}

async function requestsSince(seq: number): Promise<unknown[]> {
  const response = await fetch(`${info.adminUrl}/requests?since=${seq}`, { headers: { authorization: `Bearer ${info.token}` } });
  return ((await response.json()) as { result: unknown[] }).result;
}

async function lastSeq(): Promise<number> {
  const all = (await requestsSince(0)) as { seq: number }[];
  return all.at(-1)?.seq ?? 0;
}

/** The command of a printed next step, as arguments (the program's words dropped). */
function stepArgs(line: string, command: string): string[] {
  const words = line.slice(line.indexOf(command)).trim().split(/\s+/);
  return words;
}

const TARGET_LINE =
  /^target: the local edge on 127\.0\.0\.1:\d+ \(this project's default since local start; --remote acts on Cloudflare\)$/m;

beforeAll(async () => {
  root = await tempDir('mcp-fleet-test-target-');
  dir = join(root.dir, 'fleet');
  const init = await runCli(['init', dir], { cwd: root.dir });
  if (init.exitCode !== 0) throw new Error(`init failed: ${init.stderr}`);
  const start = await run(['local', 'start', '--detach', '--port', '0']);
  if (start.exitCode !== 0) throw new Error(`local start failed: ${start.stderr}`);
  expect(start.stdout).toMatch(/this project's commands now act on the local edge, without --local, until \S.* local stop/);
  info = await readEdgeInfo(dir);
  const add = await run(['add', 'acme', '--from-env', '--yes'], { UPSTREAM_TOKEN: 'tok-acme-0123456789' });
  if (add.exitCode !== 0) throw new Error(`add failed: ${add.stderr}`);
}, 300_000);

afterAll(async () => {
  await run(['local', 'stop']);
  await root.cleanup();
});

describe('after local start, the edge is the target', () => {
  test('deploy, status, verify and history run without --local, and each says which target it acts on', async () => {
    const deployed = await run(['deploy', 'acme']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(deployed.stderr).toMatch(TARGET_LINE);
    expect(deployed.stderr).toContain(`127.0.0.1:${info.port}`);

    const status = await run(['--json', 'status', 'acme']);
    expect(status.exitCode, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as StatusJson & { target: unknown };
    expect(json.clients[0]?.code).toBe('current');
    expect(json.target).toEqual({ kind: 'local', chosenBy: 'project', accountId: info.accountId, apiBaseUrl: info.apiBaseUrl });
    expect(status.stderr).toMatch(TARGET_LINE);

    const verified = await run(['verify', 'acme']);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stderr).toMatch(TARGET_LINE);
    const history = await run(['history', 'acme']);
    expect(history.exitCode, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/100%\s+deploy\s+bundle-[0-9a-f]{16}$/m);
  });

  test('the hints run as printed against the same target', async () => {
    const add = await run(['add', 'globex', '--from-env', '--yes'], { UPSTREAM_TOKEN: 'tok-globex-0123456789' });
    expect(add.exitCode, add.stderr).toBe(0);
    const status = await run(['status', 'globex']);
    expect(status.exitCode).toBe(1);
    const hint = status.stdout.split('\n').find((line) => line.includes('no worker globex in the account'));
    // The project's own default needs no flag: the step picks the edge the same way.
    expect(hint).toMatch(/: (node )?\S*mcp-fleet(\.js)? deploy globex$/);
    const deployed = await run(stepArgs(hint as string, 'deploy globex'));
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect((await run(['status', 'globex'])).exitCode).toBe(0);

    // Chosen by the environment, the step says so itself: it runs the same in a shell without it.
    const missing = await run(['rollback', 'acme', '--to', 'ffffffff'], { MCP_FLEET_TARGET: 'local' });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^target: the local edge on 127\.0\.0\.1:\d+ \(MCP_FLEET_TARGET=local\)$/m);
    const step = (missing.stdout + missing.stderr).split('\n').find((line) => line.includes('see the versions with:')) as string;
    expect(step).toMatch(/history acme --local$/);
    const listed = await run(stepArgs(step, 'history acme'));
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(/^target: the local edge on 127\.0\.0\.1:\d+ \(--local\)$/m);
  });

  test('--remote and MCP_FLEET_TARGET=cloudflare act on Cloudflare, and say it is not the default', async () => {
    const seq = await lastSeq();
    const remote = await run(['status', 'acme', '--remote']);
    expect(remote.exitCode).toBe(2);
    expect(remote.stderr).toMatch(/^target: Cloudflare \(--remote\); this project's default is the local edge$/m);
    expect(remote.stderr).toContain('CLOUDFLARE_API_TOKEN is not set');
    const byEnv = await run(['status', 'acme'], { MCP_FLEET_TARGET: 'cloudflare' });
    expect(byEnv.exitCode).toBe(2);
    expect(byEnv.stderr).toMatch(/^target: Cloudflare \(MCP_FLEET_TARGET=cloudflare\); this project's default is the local edge$/m);
    // Nothing reached the edge: the choice was Cloudflare, and Cloudflare had no token.
    expect(await requestsSince(seq)).toEqual([]);

    // The edge speaks Cloudflare's API: named as Cloudflare, it answers as Cloudflare would.
    const cloudflare = {
      CLOUDFLARE_API_BASE_URL: info.apiBaseUrl,
      CLOUDFLARE_API_TOKEN: info.token,
      CLOUDFLARE_ACCOUNT_ID: info.accountId,
    };
    const asCloudflare = await run(['--json', 'rollback', 'acme', '--remote', '--no-verify'], cloudflare);
    const document = JSON.parse(asCloudflare.stdout) as RollbackJson & { target: unknown };
    expect(document.target).toEqual({ kind: 'cloudflare', chosenBy: 'flag', accountId: info.accountId, apiBaseUrl: info.apiBaseUrl });
    expect(asCloudflare.stderr).toMatch(
      new RegExp(`^target: Cloudflare, account ${info.accountId} \\(--remote\\); this project's default`, 'm'),
    );

    const bad = await run(['status', 'acme'], { MCP_FLEET_TARGET: 'prod' });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('MCP_FLEET_TARGET=prod: expected local or cloudflare');
    const both = await run(['status', 'acme', '--local', '--remote']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--local and --remote contradict each other');
  });

  test('a dead edge is said, never swapped for Cloudflare; local stop makes Cloudflare the default again', async () => {
    process.kill(info.pid, 'SIGKILL');
    await vi.waitFor(() => expect(isAlive(info.pid)).toBe(false), { timeout: 10_000, interval: 100 });
    // A token is set (to a closed loopback port): a silent fallback would try it.
    const cloudflare = {
      CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4',
      CLOUDFLARE_API_TOKEN: 'not-used',
      CLOUDFLARE_ACCOUNT_ID: 'x',
    };
    const dead = await run(['status', 'acme'], cloudflare);
    expect(dead.exitCode).toBe(2);
    expect(dead.stderr).toContain(
      'this project acts on the local edge (local start made it the default), but the local edge is not running',
    );
    expect(dead.stderr).toMatch(/local start --detach; to act on Cloudflare again: (node )?\S*mcp-fleet(\.js)? local stop/);
    expect(dead.stderr).not.toContain('target: Cloudflare');

    const stop = await run(['local', 'stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toContain("this project's commands act on Cloudflare again");
    const after = await run(['status', 'acme']);
    expect(after.exitCode).toBe(2);
    expect(after.stderr).toMatch(/^target: Cloudflare$/m);
    expect(after.stderr).toContain('CLOUDFLARE_API_TOKEN is not set');
  });
});
