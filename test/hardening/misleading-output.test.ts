import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliInvocation } from '../../src/cli/invocation.js';
import { type FailureJson, SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { binPath, runCli, tempDir } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/snapshot.js';

/** What the command line promises — exit 2 changes nothing, help and --json say what is true. */
let root: { dir: string; cleanup: () => Promise<void> };
let project: string;

beforeAll(async () => {
  root = await tempDir('mcp-fleet-trust-cli-');
  project = join(root.dir, 'fleet');
  const init = await runCli(['init', project, '--deps', 'none'], { cwd: root.dir });
  expect(init.exitCode, init.stderr).toBe(0);
});

afterAll(async () => {
  await root?.cleanup();
});

describe('add --deploy checks what the deploy needs before writing anything', () => {
  test('a missing required value is exit 2 and no file changes', async () => {
    const before = await snapshotDir(project);
    // No edge is needed to see this: the check comes first.
    const result = await runCli(['add', 'acme', '--deploy', '--yes'], {
      cwd: project,
      env: { CLOUDFLARE_API_TOKEN: 't', CLOUDFLARE_ACCOUNT_ID: 'a' },
    });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain('--deploy needs every key');
    expect(result.stderr).toContain('UPSTREAM_TOKEN');
    expect(await snapshotDir(project)).toEqual(before);
  });

  // Hostile 10: a bad --set used to write the section and the secrets file, then fail the deploy with exit 2.
  test.each([
    [['--set', 'UPSTREAM_TOKEN='], '--deploy needs every key of .secrets.template; no value for UPSTREAM_TOKEN'],
    [['--set', 'UPSTREAM_TOKEN=upstream-token-value', '--set', 'API_KEY=short'], '--set API_KEY is 5 bytes long'],
    [['--set', 'UPSTREAM_TOKEN=upstream-token-value', '--set', 'API_KEY=   '], '--set API_KEY is only whitespace'],
    [
      ['--set', 'UPSTREAM_TOKEN=upstream-token-value', '--set', 'UPSTREAM_URL=api.acme.example'],
      '--set UPSTREAM_URL is not an absolute URL',
    ],
  ])('a bad --set (%j) is exit 2 before the first write: every file byte for byte as it was', async (set, message) => {
    const before = await snapshotDir(project);
    const result = await runCli(['add', 'acme', '--deploy', '--yes', ...set], {
      cwd: project,
      // A closed loopback port: nothing may be sent anywhere before the values are checked.
      env: { CLOUDFLARE_API_TOKEN: 't', CLOUDFLARE_ACCOUNT_ID: 'a', CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4' },
    });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('nothing was written');
    expect(await snapshotDir(project)).toEqual(before);
  });

  test('no local edge is exit 2 and no file changes', async () => {
    const before = await snapshotDir(project);
    const result = await runCli(['add', 'acme', '--deploy', '--local', '--from-env', '--yes'], {
      cwd: project,
      env: { UPSTREAM_TOKEN: 'upstream-token-value' },
    });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain('local edge');
    expect(await snapshotDir(project)).toEqual(before);
  });
});

/** An installed Node older than 22.12, if this machine has one (machines of this kind ship Node 20 as /usr/bin/node). */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major < 22 || (major === 22 && minor < 12)) return candidate;
    } catch {
      // not installed here
    }
  }
  return undefined;
}

test.skipIf(oldNode() === undefined)('on Node older than 22.12 the first words say so, exit 2 (no bug report request)', () => {
  let stderr = '';
  let status = 0;
  try {
    execFileSync(oldNode() as string, [binPath, 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { status: number; stderr: string };
    status = failed.status;
    stderr = failed.stderr;
  }
  expect(status).toBe(2);
  expect(stderr).toMatch(/^✖ mcp-fleet needs Node >= 22\.12; this is Node \d+\./);
  expect(stderr).not.toContain('bug');
});

test('the version check draws the line at 22.12 (22.11 refused, exit 2; this Node goes on)', async () => {
  // The running Node reports an older version to the binary: the check is the first thing it does.
  const pretend = (version: string): string[] => [
    '--import',
    `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`,
  ];
  const old = spawnSync(process.execPath, [...pretend('22.11.0'), binPath, '--version'], { encoding: 'utf8' });
  expect(old.status).toBe(2);
  expect(old.stderr).toContain('mcp-fleet needs Node >= 22.12; this is Node 22.11.0');
  const ok = spawnSync(process.execPath, [...pretend('22.12.0'), binPath, '--version'], { encoding: 'utf8' });
  expect(ok.status, ok.stderr).toBe(0);
});

describe('what mcp-fleet prints as next steps works as printed', () => {
  test('without mcp-fleet on PATH the steps say node <path to bin/mcp-fleet.js>', () => {
    expect(cliInvocation({ PATH: '/nonexistent' }, binPath, root.dir)).toBe(`node ${binPath}`);
  });

  test('with this mcp-fleet on PATH (npm link) the steps say mcp-fleet; another one on PATH does not count', async () => {
    const bin = join(root.dir, 'bin-linked');
    await mkdir(bin);
    await symlink(binPath, join(bin, 'mcp-fleet'));
    expect(cliInvocation({ PATH: bin }, binPath)).toBe('mcp-fleet');
    const other = join(root.dir, 'bin-other');
    await mkdir(other);
    await symlink('/bin/true', join(other, 'mcp-fleet'));
    expect(cliInvocation({ PATH: `${other}:${bin}` }, binPath, root.dir)).toBe(`node ${binPath}`);
  });

  test('init prints a next step that runs', async () => {
    const target = join(root.dir, 'second');
    const result = await runCli(['init', target, '--deps', 'none'], {
      cwd: root.dir,
      env: { PATH: process.env.PATH?.replace(/[^:]*mcp-fleet[^:]*:?/g, '') },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const next = result.stdout.split('\n').find((line) => line.startsWith('next: '));
    expect(next).toBe(`next: node ${binPath} -C ${target} add <client>`);
  });
});

describe('help and --json tell the whole truth', () => {
  test('subcommand help shows the global options, and defaults are written one way', async () => {
    for (const args of [
      ['secrets', 'rotate', '--help'],
      ['deploy', '--help'],
      ['verify', '--help'],
      ['init', '--help'],
    ]) {
      const help = await runCli(args);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain('Global Options:');
      expect(help.stdout).toContain('-C, --cwd <dir>');
      expect(help.stdout).toContain('--json');
      expect(help.stdout).not.toMatch(/\(default: "|\(default: \[\]\)|\(default \d/);
    }
  });

  test('secrets --help lists retire', async () => {
    const help = await runCli(['secrets', '--help']);
    expect(help.stdout).toMatch(/^\s+retire /m);
  });

  test('with --json a usage error from the argument parser is a {ok:false} document on stdout, exit 2', async () => {
    const result = await runCli(['--json', 'deploy', '--bogus']);
    expect(result.exitCode).toBe(2);
    const doc = JSON.parse(result.stdout) as FailureJson;
    expect(doc).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      error: { message: "unknown option '--bogus'", hint: null, exitCode: 2 },
    });
  });
});
