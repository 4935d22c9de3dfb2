import { chmod, chown, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type CliResult, runCli, tempDir } from '../helpers/cli.js';
import { modeOf, snapshotDir } from '../helpers/snapshot.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * `.mcp-fleet/` holds secret values (backups, removed clients' files, the secrets file of a deploy
 * in flight, the local edge's state). A link in it to a shared or world-writable directory would
 * put them outside the project and have mcp-fleet chmod the target; a directory another user owns
 * is theirs to read or swap. Both are refused (exit 2) before anything is written or trusted.
 *
 * "Owned by another user" needs a directory of another uid: only root can make one, so that test
 * runs as root (CI may); the rule itself is held on any machine by unit/state-dir-trust.
 */

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

const UPSTREAM = 'an-upstream-token-for-the-test';

/** A project with one client, and beside it (outside the project) a directory anyone can write to. */
async function project(): Promise<{ root: string; dir: string; shared: string }> {
  const { dir: root, cleanup } = await tempDir('mcp-fleet-state-dir-');
  cleanups.push(cleanup);
  const dir = join(root, 'project');
  await scaffoldTemplateProject(dir, 'fleet');
  const added = await runCli(['add', 'acme', '--from-env', '--yes'], { cwd: dir, env: { UPSTREAM_TOKEN: UPSTREAM } });
  expect(added.exitCode, added.stderr).toBe(0);
  const shared = join(root, 'shared');
  await mkdir(shared);
  await chmod(shared, 0o777);
  return { root, dir, shared };
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

function expectRefused(result: CliResult, what: RegExp): void {
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stderr).toMatch(what);
  expect(result.stderr).not.toMatch(/unexpected error|this is a bug/i);
}

describe('a link in .mcp-fleet/ to a directory anyone can write to', () => {
  test('backups -> a 0777 directory: add --force writes no backup there, leaves its mode, and exits 2', async () => {
    const { root, dir, shared } = await project();
    // A secrets file without a section: add --force replaces it, keeping a backup in .mcp-fleet/backups/beta/.
    await writeFile(join(dir, '.secrets.beta'), `API_KEY=${'k'.repeat(43)}\nUPSTREAM_TOKEN=${UPSTREAM}\n`, { mode: 0o600 });
    await mkdir(join(dir, '.mcp-fleet'), { recursive: true, mode: 0o700 });
    // add keeps its journal under backups/, so the first add made the directory the link replaces.
    await rm(join(dir, '.mcp-fleet', 'backups'), { recursive: true, force: true });
    await symlink(shared, join(dir, '.mcp-fleet', 'backups'));
    const before = await snapshotDir(root);
    const result = await runCli(['add', 'beta', '--force', '--from-env', '--yes'], { cwd: dir, env: { UPSTREAM_TOKEN: UPSTREAM } });
    expectRefused(result, /\.mcp-fleet\/backups is a symbolic link to a directory anyone can write to/);
    expect(result.stderr).toMatch(/rm \S*\.mcp-fleet\/backups/);
    expect(await filesUnder(shared)).toEqual([]);
    expect(await modeOf(shared)).toBe(0o777);
    // A refused add replaced nothing: the secrets file and wrangler.jsonc are as they were.
    expect(await snapshotDir(root)).toEqual(before);
    expect((await lstat(join(dir, '.mcp-fleet', 'backups'))).isSymbolicLink()).toBe(true);
  });

  test('.mcp-fleet itself -> a 0777 directory: every writing command is refused and nothing lands there', async () => {
    const { dir, shared } = await project();
    await rm(join(dir, '.mcp-fleet'), { recursive: true, force: true });
    await symlink(shared, join(dir, '.mcp-fleet'));
    for (const args of [
      ['add', 'beta', '--from-env', '--yes'],
      ['remove', 'acme', '--yes'],
      ['local', 'start', '--port', '0'],
    ]) {
      const result = await runCli(args, { cwd: dir, env: { UPSTREAM_TOKEN: UPSTREAM } });
      expectRefused(result, /\.mcp-fleet is a symbolic link to a directory anyone can write to/);
    }
    expect(await filesUnder(shared)).toEqual([]);
    expect(await modeOf(shared)).toBe(0o777);
    expect(await readFile(join(dir, '.secrets.acme'), 'utf8')).toContain('API_KEY=');
  });

  test('local -> elsewhere: --local commands do not read an edge.json through it', async () => {
    const { dir, shared } = await project();
    await mkdir(join(dir, '.mcp-fleet'), { recursive: true, mode: 0o700 });
    await writeFile(join(shared, 'edge.json'), '{}\n');
    await symlink(shared, join(dir, '.mcp-fleet', 'local'));
    const result = await runCli(['verify', 'acme', '--local'], { cwd: dir });
    expectRefused(result, /\.mcp-fleet\/local is a symbolic link/);
  });
});

describe.skipIf(process.getuid?.() !== 0)('a .mcp-fleet/ owned by another user (as root: a directory given to uid 4242)', () => {
  test('every writing command is refused before writing; --local does not trust its edge.json', async () => {
    const { root, dir } = await project();
    const state = join(dir, '.mcp-fleet');
    await mkdir(join(state, 'local'), { recursive: true, mode: 0o700 });
    await writeFile(join(state, 'local', 'edge.json'), '{}\n', { mode: 0o600 });
    for (const path of [state, join(state, 'local'), join(state, 'local', 'edge.json')]) await chown(path, 4242, 4242);
    const before = await snapshotDir(root);
    for (const args of [
      ['add', 'beta', '--from-env', '--yes'],
      ['add', 'acme', '--force', '--from-env', '--yes'],
      ['verify', 'acme', '--local'],
      ['local', 'start', '--port', '0'],
    ]) {
      const result = await runCli(args, { cwd: dir, env: { UPSTREAM_TOKEN: UPSTREAM } });
      expectRefused(result, /\.mcp-fleet belongs to another user \(uid 4242; this is uid 0\)/);
    }
    expect(await snapshotDir(root)).toEqual(before);
    expect((await lstat(state)).uid).toBe(4242);
  });
});
