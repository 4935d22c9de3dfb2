import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEdgeInfo } from '../../src/local/lifecycle/edge-file.js';
import { rememberLocalTarget } from '../../src/local/lifecycle/remembered-target.js';
import type { DoctorJson } from '../../src/ui/json/index.js';
import { ensureStateDir, statePaths } from '../../src/util/state-dir.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet doctor` as a user runs it, against one local edge: a healthy fleet passes, a secrets
 * file others can read fails with its chmod, a token the edge made without "Workers Scripts Write"
 * fails naming that permission (and the edge refuses that token's writes, as Cloudflare would),
 * and outside a project only the environment and the token are checked.
 */

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('doctor', ['acme']);
  // A project under git, as most are: doctor asks git whether secrets files are ignored.
  await execa('git', ['init', '-q'], { cwd: fleet.dir });
}, 300_000);

afterAll(async () => {
  await closeTestFleet(fleet);
});

/** The edge as Cloudflare: its API base, account, and a token (the edge's own unless given). */
function asCloudflare(token = fleet.edge.info.token): Record<string, string> {
  return {
    CLOUDFLARE_API_BASE_URL: fleet.edge.info.apiBaseUrl,
    CLOUDFLARE_API_TOKEN: token,
    CLOUDFLARE_ACCOUNT_ID: fleet.edge.info.accountId,
  };
}

/** A token made through the edge's API (POST /user/tokens) holding only these permission groups. */
async function tokenWith(groups: readonly string[]): Promise<string> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${fleet.edge.info.apiBaseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${fleet.edge.info.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return ((await response.json()) as { result: unknown }).result;
  };
  const known = (await call('GET', '/user/tokens/permission_groups')) as { id: string; name: string }[];
  const permission_groups = groups.map((name) => {
    const group = known.find((candidate) => candidate.name === name);
    if (!group) throw new Error(`the edge has no permission group ${name}`);
    return { id: group.id };
  });
  const created = (await call('POST', '/user/tokens', {
    name: `doctor test: ${groups.join(', ')}`,
    policies: [{ effect: 'allow', resources: { [`com.cloudflare.api.account.${fleet.edge.info.accountId}`]: '*' }, permission_groups }],
  })) as { value: string };
  fleet.leaks.addSecret(created.value, 'a token made for the doctor test');
  return created.value;
}

function check(json: DoctorJson, id: string) {
  const found = json.checks.find((entry) => entry.id === id);
  if (!found) throw new Error(`no ${id} check in ${JSON.stringify(json.checks.map((entry) => entry.id))}`);
  return found;
}

describe('doctor in a project', () => {
  it('passes on a healthy local fleet (exit 0), every check ok', async () => {
    const result = await fleet.cliJson<DoctorJson>(['doctor', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    expect(result.json.project).toBe(fleet.dir);
    const notOk = result.json.checks.filter((entry) => entry.status !== 'ok');
    expect(notOk).toEqual([]);
    for (const id of [
      'node',
      'wrangler',
      'token',
      'account',
      'config',
      'secrets.modes',
      'secrets.git',
      'edge',
      'template',
      'config.sections',
    ])
      expect(check(result.json, id).status, id).toBe('ok');
    expect(check(result.json, 'token.permission.workers-scripts-write').status).toBe('ok');
    expect(check(result.json, 'edge').detail).toContain(`pid ${fleet.edge.info.pid}`);
  });

  it('fails on a world-readable secrets file, naming it and the chmod that fixes it, which works as printed', async () => {
    const file = join(fleet.dir, '.secrets.acme');
    await chmod(file, 0o644);
    try {
      const result = await fleet.cli(['doctor', '--local']);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toContain('.secrets.acme is 0644');
      expect(result.stdout).toContain('fix: chmod 600 .secrets.acme');
      // Doctor reports; it changes nothing.
      expect((await stat(file)).mode & 0o777).toBe(0o644);

      // From a folder of the project, the fix names the file from there, and runs as printed.
      const src = join(fleet.dir, 'src');
      const below = await fleet.cli(['doctor', '--local'], { cwd: src });
      expect(below.exitCode).toBe(1);
      const fix = /fix: (chmod 600 \S+)/.exec(below.stdout)?.[1];
      expect(fix).toBe('chmod 600 ../.secrets.acme');
      await execa('bash', ['-c', fix ?? 'false'], { cwd: src });
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await fleet.cli(['doctor', '--local'], { cwd: src })).exitCode).toBe(0);
    } finally {
      await chmod(file, 0o600);
    }
  });

  it('fails on a secrets file git would commit, with the .gitignore lines to add', async () => {
    const ignore = join(fleet.dir, '.gitignore');
    const { readFile, writeFile } = await import('node:fs/promises');
    const original = await readFile(ignore, 'utf8');
    await writeFile(ignore, 'node_modules\n');
    try {
      const result = await fleet.cliJson<DoctorJson>(['doctor', '--local']);
      expect(result.exitCode).toBe(1);
      const git = check(result.json, 'secrets.git');
      expect(git.status).toBe('fail');
      expect(git.detail).toContain('git does not ignore .secrets.acme');
      expect(git.fix).toContain('.secrets.*');
    } finally {
      await writeFile(ignore, original);
    }
  });

  it('fails on a token without "Workers Scripts Write", naming the permission and how to add it', async () => {
    const token = await tokenWith(['Workers Scripts Read', 'API Tokens Read']);
    const result = await fleet.cliJson<DoctorJson>(['doctor', '--remote'], { env: asCloudflare(token) });
    expect(result.exitCode).toBe(1);
    expect(result.json.ok).toBe(false);
    expect(check(result.json, 'token').status).toBe('ok');
    expect(check(result.json, 'account').status).toBe('ok');
    const scripts = check(result.json, 'token.permission.workers-scripts-write');
    expect(scripts.status).toBe('fail');
    expect(scripts.detail).toContain('lacks "Workers Scripts Write"');
    expect(scripts.fix).toContain('add "Account → Workers Scripts → Edit"');
    // Optional ones are warnings, not failures.
    expect(check(result.json, 'token.permission.account-analytics-read').status).toBe('warn');
    expect(result.stderr).toContain('Account → Workers Scripts → Edit');
    // The edge refuses that token's writes, as Cloudflare does: what doctor warned about is real.
    const push = await fleet.cli(['secrets', 'push', 'acme', '--remote'], { env: asCloudflare(token) });
    expect(push.exitCode).toBe(1);
    expect(push.stderr).toContain('10000');
  });

  it('warns (exit 0) when the token may not read its own permissions, listing what to check', async () => {
    const token = await tokenWith(['Workers Scripts Write']);
    const result = await fleet.cliJson<DoctorJson>(['doctor', '--remote'], { env: asCloudflare(token) });
    expect(result.exitCode, result.stderr).toBe(0);
    const permissions = check(result.json, 'token.permissions');
    expect(permissions.status).toBe('warn');
    expect(permissions.fix).toContain('"Account → Workers Scripts → Edit"');
  });

  it('fails on a token the API refuses', async () => {
    const result = await fleet.cliJson<DoctorJson>(['doctor', '--remote'], { env: asCloudflare('x'.repeat(40)) });
    expect(result.exitCode).toBe(1);
    const token = check(result.json, 'token');
    expect(token.status).toBe('fail');
    expect(token.detail).toContain('refused the token');
    expect(token.fix).toContain('Edit Cloudflare Workers');
    // One failure does not hide the rest of the report.
    expect(check(result.json, 'secrets.modes').status).toBe('ok');
  });

  it('--json: one document, a summary, every check with id, title, status, detail and a fix only when not ok', async () => {
    const result = await fleet.cliJson<DoctorJson>(['doctor', '--local']);
    expect(Object.keys(result.json).sort()).toEqual(['checks', 'ok', 'project', 'schemaVersion', 'summary']);
    expect(result.json.summary).toEqual({ ok: result.json.checks.length, warn: 0, fail: 0 });
    for (const entry of result.json.checks) {
      expect(Object.keys(entry).sort()).toEqual(['detail', 'fix', 'id', 'status', 'title']);
      expect(entry.fix).toBeNull();
    }
    // The human report went to stderr, so stdout is the document alone.
    expect(result.stderr).toContain('0 failed');
  });
});

describe('doctor and the features a project uses', () => {
  it('with oauth on a client, a token without "Workers KV Storage Write" fails naming it; one with it passes', async () => {
    const modes = await fleet.cli(['auth', 'acme', 'key,jwt', '--local']);
    expect(modes.exitCode, modes.stderr).toBe(0);
    const scriptsOnly = await tokenWith(['Workers Scripts Write', 'API Tokens Read']);
    const lacking = await fleet.cliJson<DoctorJson>(['doctor', '--remote'], { env: asCloudflare(scriptsOnly) });
    expect(lacking.exitCode).toBe(1);
    const kv = check(lacking.json, 'token.permission.workers-kv-storage-write');
    expect(kv.status).toBe('fail');
    expect(kv.detail).toContain('the identity store of clients with oauth or jwt');
    expect(kv.fix).toContain('"Account → Workers KV Storage → Edit"');

    const both = await tokenWith(['Workers Scripts Write', 'Workers KV Storage Write', 'API Tokens Read']);
    const passing = await fleet.cliJson<DoctorJson>(['doctor', '--remote'], { env: asCloudflare(both) });
    expect(passing.exitCode, passing.stderr).toBe(0);
    expect(check(passing.json, 'token.permission.workers-kv-storage-write').status).toBe('ok');
  });
});

describe("doctor and the local edge's state", () => {
  it('a stale edge.json warns with local stop; a project acting on an edge that is not running fails with local start', async () => {
    const other = await tempDir('mcp-fleet-doctor-edge-');
    try {
      const dir = join(other.dir, 'fleet');
      expect((await runCli(['init', dir], { cwd: other.dir })).exitCode).toBe(0);
      // edge.json as an edge killed with SIGKILL leaves it: its pid is gone.
      const gone = execa(process.execPath, ['-e', '']);
      await gone;
      await ensureStateDir(dir, statePaths.localEdge(dir));
      await writeEdgeInfo(dir, { ...fleet.edge.info, pid: gone.pid ?? 1 });
      const stale = await runCli(['--json', 'doctor', '--remote'], { cwd: dir, env: asCloudflare() });
      const staleEdge = check(JSON.parse(stale.stdout) as DoctorJson, 'edge');
      expect(staleEdge.status).toBe('warn');
      expect(staleEdge.detail).toContain('not running');
      expect(staleEdge.fix).toContain('local stop');

      // local start made the edge the project's target, and it is gone: every command would stop on it.
      await rm(join(dir, '.mcp-fleet', 'local', 'edge.json'));
      await rememberLocalTarget(dir);
      const result = await runCli(['--json', 'doctor'], { cwd: dir });
      expect(result.exitCode).toBe(1);
      const json = JSON.parse(result.stdout) as DoctorJson;
      expect(check(json, 'edge').status).toBe('fail');
      expect(check(json, 'edge').fix).toContain('local start --detach');
      expect(check(json, 'token').status).toBe('fail');
    } finally {
      await other.cleanup();
    }
  });
});

describe('doctor outside a project', () => {
  it('checks the environment and the token only, and says there is no project', async () => {
    const outside = await tempDir('mcp-fleet-doctor-outside-');
    try {
      const dir = join(outside.dir, 'empty');
      await mkdir(dir);
      const result = await runCli(['--json', 'doctor'], { cwd: dir, env: asCloudflare() });
      expect(result.exitCode, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout) as DoctorJson;
      expect(json.project).toBeNull();
      expect(result.stderr).toContain('not in a fleet project');
      const ids = json.checks.map((entry) => entry.id);
      expect(ids).toContain('node');
      expect(ids).toContain('token');
      expect(ids.filter((id) => id.startsWith('secrets.') || id === 'edge' || id === 'template')).toEqual([]);
      expect(result.stdout).not.toContain(fleet.edge.info.token);
      expect(result.stderr).not.toContain(fleet.edge.info.token);
    } finally {
      await outside.cleanup();
    }
  });

  it('without a token: the token check fails with how to make one', async () => {
    const outside = await tempDir('mcp-fleet-doctor-notoken-');
    try {
      const result = await runCli(['doctor'], { cwd: outside.dir, env: { CLOUDFLARE_API_TOKEN: '', MCP_FLEET_TARGET: '' } });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toContain('CLOUDFLARE_API_TOKEN is not set');
      expect(result.stdout).toContain('fix: Create a token');
    } finally {
      await outside.cleanup();
    }
  });
});
