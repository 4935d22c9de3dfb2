import { rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import type { DeployPlanJson, SecretsStatusJson, VerifyJson } from '../../src/ui/json/index.js';
import { binPath, repoRoot } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';
import { snapshotDir } from '../helpers/snapshot.js';

/**
 * What a newcomer hit in the first hour, each said plainly now: a mistyped name or option, a missing
 * account id, an unreachable API, a client never deployed, a project without its packages, and a
 * rollout's wave lines. One fleet on one local edge, nothing deployed until the wave test.
 */
const CLIENTS = ['acme', 'beta', 'gamma'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('papercuts', CLIENTS);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

/** Runs a hint's command line as printed, in a shell, from the project directory. */
async function runPrinted(line: string) {
  const result = await execa('bash', ['-c', line], {
    cwd: fleet.dir,
    env: { CI: '1', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' },
    reject: false,
    timeout: 300_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A loopback port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a mistyped client name', () => {
  test('suggests the nearest client names, exit 2, on fleet commands and on remove', async () => {
    const verify = await fleet.cli(['verify', 'acm', '--local']);
    expect(verify.exitCode).toBe(2);
    expect(verify.stderr).toContain('unknown client: acm');
    expect(verify.stderr).toContain('Did you mean acme? Clients: acme, beta, gamma');
    const two = await fleet.cli(['secrets', 'push', 'acme', 'gama', 'betta', '--local']);
    expect(two.exitCode).toBe(2);
    expect(two.stderr).toContain('Did you mean gamma for gama, beta for betta?');
    const remove = await fleet.cli(['remove', 'gamm', '--yes']);
    expect(remove.exitCode).toBe(2);
    expect(remove.stderr).toContain('Did you mean gamma?');
    const far = await fleet.cli(['deploy', 'zebra', '--local']);
    expect(far.exitCode).toBe(2);
    expect(far.stderr).not.toContain('Did you mean');
    expect(far.stderr).toContain('Clients: acme, beta, gamma');
  });
});

describe('a mistyped option', () => {
  test('prints the error, "did you mean" when one is near, and one line pointing to --help that runs', async () => {
    const typo = await fleet.cli(['deploy', '--alll', '--local']);
    expect(typo.exitCode).toBe(2);
    expect(typo.stdout).toBe('');
    const lines = typo.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      "error: unknown option '--alll'",
      '(Did you mean --all?)',
      expect.stringMatching(/^See its options and examples: .*mcp-fleet(\.js)? deploy --help$/),
    ]);
    const help = await runPrinted((lines[2] as string).replace(/^See its options and examples: /, ''));
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mcp-fleet deploy/);
    expect(help.stdout).toContain('Examples:');

    const command = await fleet.cli(['deplyo']);
    expect(command.exitCode).toBe(2);
    expect(command.stderr.trimEnd().split('\n')).toEqual([
      "error: unknown command 'deplyo'",
      '(Did you mean deploy?)',
      expect.stringMatching(/^See the commands: .*mcp-fleet(\.js)? --help$/),
    ]);
    const far = await fleet.cli(['status', '--bogus']);
    expect(far.stderr.trimEnd().split('\n')).toHaveLength(2);
    expect(far.stderr).not.toContain('Usage:');
  });

  test('under --json the suggestion is the hint', async () => {
    const result = await fleet.cli(['--json', 'deploy', '--alll']);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      error: { message: "unknown option '--alll'", hint: 'Did you mean --all?', exitCode: 2 },
    });
  });
});

describe('--help', () => {
  test("every command's help has examples; the top-level help names CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID", async () => {
    for (const spec of COMMANDS) {
      const help = await fleet.cli([...spec.name.split(' '), '--help']);
      expect(help.exitCode, spec.name).toBe(0);
      expect(help.stdout, spec.name).toContain('\nExamples:\n');
      expect(`${help.stdout}\n`, spec.name).toContain(` ${spec.examples[0]?.args}\n`);
    }
    const top = await fleet.cli(['--help']);
    expect(top.stdout).toMatch(/\nEnvironment:\n(.*\n)* {2}CLOUDFLARE_API_TOKEN +\S/);
    expect(top.stdout).toMatch(/\n {2}CLOUDFLARE_ACCOUNT_ID +\S/);
  });
});

describe('a token but no account id', () => {
  /** What each command that talks to Cloudflare needs besides the target, to get as far as asking for it. */
  const ARGS: Record<string, string[]> = {
    add: ['add', 'delta', '--deploy', '--set', 'UPSTREAM_TOKEN=upstream-delta', '--yes'],
    remove: ['remove', 'acme', '--delete-worker', '--yes'],
    list: ['list'],
    verify: ['verify', 'acme'],
    deploy: ['deploy', 'acme'],
    rollback: ['rollback', 'acme'],
    'secrets push': ['secrets', 'push', 'acme'],
    'secrets status': ['secrets', 'status', 'acme'],
    'secrets rotate': ['secrets', 'rotate', 'acme', '--yes'],
    'secrets retire': ['secrets', 'retire', 'acme'],
    status: ['status', 'acme'],
    connect: ['connect', 'acme', '--for', 'cursor'],
    logs: ['logs', 'acme'],
    metrics: ['metrics', 'acme'],
    history: ['history', 'acme'],
    auth: ['auth', 'acme', 'key,oauth'],
    'users invite': ['users', 'invite', 'acme', 'ann@acme.example'],
    'users list': ['users', 'list', 'acme'],
    'users revoke': ['users', 'revoke', 'acme', 'ann@acme.example'],
    'tokens issue': ['tokens', 'issue', 'acme', '--sub', 'ann@acme.example'],
    'tokens list': ['tokens', 'list', 'acme'],
    'tokens revoke': ['tokens', 'revoke', 'acme', '--sub', 'ann@acme.example'],
  };

  test('every command that can act on Cloudflare is covered here', () => {
    // doctor diagnoses a missing account id instead of stopping on it: its own test is below.
    const targeted = COMMANDS.filter((spec) => 'local' in spec.options && spec.name !== 'doctor').map((spec) => spec.name);
    expect(Object.keys(ARGS).sort()).toEqual(targeted.sort());
  });

  test('doctor reports the missing account id as a failed check with the same fix (exit 1), and changes nothing', async () => {
    const before = await snapshotDir(fleet.dir);
    const result = await fleet.cli(['doctor'], { env: { CLOUDFLARE_API_TOKEN: 'a-token-without-an-account', CLOUDFLARE_ACCOUNT_ID: '' } });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toContain('set CLOUDFLARE_ACCOUNT_ID or "account_id" in wrangler.jsonc');
    expect(await snapshotDir(fleet.dir)).toEqual(before);
  });

  test('every such command exits 2 naming CLOUDFLARE_ACCOUNT_ID, and changes nothing', async () => {
    const before = await snapshotDir(fleet.dir);
    for (const [name, args] of Object.entries(ARGS)) {
      const result = await fleet.cli(args, { env: { CLOUDFLARE_API_TOKEN: 'a-token-without-an-account', CLOUDFLARE_ACCOUNT_ID: '' } });
      expect(result.exitCode, `${name}: ${result.stderr}`).toBe(2);
      expect(result.stderr, name).toContain('set CLOUDFLARE_ACCOUNT_ID or "account_id" in wrangler.jsonc');
    }
    expect(await snapshotDir(fleet.dir)).toEqual(before);
  });
});

describe('secrets status with the API unreachable', () => {
  test('says the API could not be reached (exit 1), never that the clients differ', async () => {
    const api = `http://127.0.0.1:${await closedPort()}/client/v4`;
    const env = {
      CLOUDFLARE_API_TOKEN: 'token',
      CLOUDFLARE_ACCOUNT_ID: 'account',
      CLOUDFLARE_API_BASE_URL: api,
      MCP_FLEET_API_ATTEMPTS: '1',
    };
    const result = await fleet.cli(['secrets', 'status', '--all'], { env });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).not.toMatch(/differ/);
    expect(result.stdout).toContain('0 in sync, 3 not compared: the API could not be reached');
    for (const client of CLIENTS) expect(result.stdout).toMatch(new RegExp(`✖ +${client} +not reached`));
    expect(result.stderr).toContain(`could not reach ${api}`);
    const json = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', '--all'], { env });
    expect(json.exitCode).toBe(1);
    expect(json.json.clients.every((client) => !client.inSync && client.error?.message.includes('could not reach'))).toBe(true);
  });
});

describe('verify of a client that was never deployed', () => {
  test('says "not deployed" once, with the deploy line as a hint, instead of six 404s', async () => {
    const result = await fleet.cli(['verify', 'acme', 'beta', '--local']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain('404');
    for (const client of ['acme', 'beta']) {
      const lines = result.stdout.split('\n').filter((line) => line.includes(client));
      expect(lines[0]).toMatch(new RegExp(`^✖ +${client} +not deployed +http://${client}\\.localhost:\\d+$`));
      expect(lines[1]).toMatch(
        new RegExp(`^ {4}the local edge has no worker ${client}; deploy it: .*mcp-fleet(\\.js)? deploy ${client} --local$`),
      );
      expect(lines).toHaveLength(2);
    }
    expect(result.stdout).toContain('2 clients verified, 2 failed (2 not deployed)');
    const json = await fleet.cliJson<VerifyJson>(['verify', 'acme', '--local']);
    expect(json.json.clients[0]?.notDeployed).toEqual({
      detail: 'the local edge has no worker acme',
      hint: expect.stringMatching(/^deploy it: .*deploy acme --local$/),
    });
  });
});

describe('a project whose packages are not installed (init --deps none)', () => {
  test('deploy says which packages are missing and the install command, not "Could not resolve"', async () => {
    const modules = join(fleet.dir, 'node_modules');
    await rm(modules);
    try {
      const result = await fleet.cli(['deploy', 'acme', '--local']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        'the worker imports @cloudflare/workers-oauth-provider, @modelcontextprotocol/server, jose, zod, which are not installed in the project',
      );
      expect(result.stderr).toMatch(/install the project's dependencies: npm install$/m);
      expect(result.stdout + result.stderr).not.toContain('Could not resolve');
      expect(result.stdout + result.stderr).not.toContain('"alias"');
    } finally {
      await symlink(join(repoRoot, 'node_modules'), modules, 'dir');
    }
  });
});

describe('deploy at a terminal', () => {
  test('3 clients: only the waves the plan has are drawn (no "wave 4 not needed")', async () => {
    const plan = await fleet.cliJson<DeployPlanJson>(['deploy', '--all', '--local', '--plan']);
    expect(plan.json.plan.waves).toEqual([1, 1, 1]);
    // `script` gives the command a terminal, where the progress lines are drawn up front.
    const command = `${process.execPath} ${binPath} deploy --all --local`;
    const result = await execa('script', ['-qfec', command, '/dev/null'], {
      cwd: fleet.dir,
      env: { CI: '', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' },
      reject: false,
      timeout: 300_000,
    });
    const screen = stripVTControlCharacters(String(result.stdout));
    expect(result.exitCode, screen).toBe(0);
    const drawn = new Set([...screen.matchAll(/wave (\d+)/g)].map((match) => Number(match[1])));
    expect([...drawn].sort()).toEqual([1, 2, 3]);
    expect(screen).not.toContain('not needed');
  });
});

describe('the deploy hint of a never-deployed client', () => {
  test('runs as printed, and verify then passes', async () => {
    await fleet.add('delta');
    const before = await fleet.cli(['verify', 'delta', '--local']);
    const hint = before.stdout.split('\n').find((line) => line.includes('deploy it: '));
    expect(hint).toBeDefined();
    const deployed = await runPrinted((hint as string).replace(/^.*deploy it: /, ''));
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const after = await fleet.cli(['verify', 'delta', '--local']);
    expect(after.exitCode, after.stdout).toBe(0);
  });
});
