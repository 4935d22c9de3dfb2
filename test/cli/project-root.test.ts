import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { ListJson } from '../../src/ui/json/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/snapshot.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * Where a command finds its project: run from a subdirectory (src/), it finds wrangler.jsonc up the
 * tree as git finds its repository, says where, and acts there; the search stops below the home
 * directory. And `init` inside an existing project refuses to nest a second one, naming the first.
 */

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function project(): Promise<{ root: string; dir: string }> {
  const { dir: root, cleanup } = await tempDir('mcp-fleet-project-root-');
  cleanups.push(cleanup);
  const dir = join(root, 'fleet');
  await scaffoldTemplateProject(dir, 'fleet');
  return { root, dir };
}

const UPSTREAM = { UPSTREAM_TOKEN: 'an-upstream-token-for-the-test' };

describe('commands run from a subdirectory of the project', () => {
  test('add from src/ edits the project’s wrangler.jsonc and writes the secrets file at its root, saying where', async () => {
    const { dir } = await project();
    const src = join(dir, 'src');
    const added = await runCli(['add', 'acme', '--from-env', '--yes'], { cwd: src, env: UPSTREAM });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stderr).toContain(`using the fleet project at ${dir} (its wrangler.jsonc is above the current directory)`);
    expect(await readFile(join(dir, 'wrangler.jsonc'), 'utf8')).toContain('"acme": {');
    expect(await readFile(join(dir, '.secrets.acme'), 'utf8')).toContain('API_KEY=');

    const listed = await runCli(['--json', 'list'], { cwd: join(src, 'platform') });
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as ListJson).map((client) => client.client)).toEqual(['acme']);
  });

  test('from the project directory itself nothing is said; -C is taken as given', async () => {
    const { dir } = await project();
    const here = await runCli(['list'], { cwd: dir });
    expect(here.exitCode, here.stderr).toBe(0);
    expect(here.stdout + here.stderr).not.toContain('using the fleet project');
    const named = await runCli(['-C', join(dir, 'src'), 'list'], { cwd: dir });
    expect(named.exitCode).toBe(2);
    expect(named.stderr).toContain(`no wrangler.jsonc in ${join(dir, 'src')}`);
  });

  test('the search stops below the home directory: a wrangler.jsonc in home is not a project for its subdirectories', async () => {
    const { dir: root, cleanup } = await tempDir('mcp-fleet-project-root-home-');
    cleanups.push(cleanup);
    const home = join(root, 'home');
    const work = join(home, 'work', 'notes');
    await mkdir(work, { recursive: true });
    await writeFile(join(home, 'wrangler.jsonc'), '{ "name": "stray", "env": {} }\n');
    const before = await snapshotDir(root);
    const result = await runCli(['add', 'acme', '--from-env', '--yes'], { cwd: work, env: { ...UPSTREAM, HOME: home } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`no wrangler.jsonc in ${work}`);
    expect(await snapshotDir(root)).toEqual(before);
  });
});

describe('init inside an existing project', () => {
  test('is refused (exit 2) naming the enclosing project, from its root and from src/, and creates nothing', async () => {
    const { root, dir } = await project();
    const before = await snapshotDir(root);
    for (const [args, cwd, target] of [
      [['init', 'inner', '--deps', 'none'], dir, join(dir, 'inner')],
      [['init', '--deps', 'none'], join(dir, 'src'), join(dir, 'src')],
    ] as const) {
      const result = await runCli(args, { cwd });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${target} is inside the wrangler project at ${dir} (wrangler.jsonc)`);
      expect(result.stderr).toMatch(new RegExp(`-C ${dir} add <client>`));
    }
    expect(await snapshotDir(root)).toEqual(before);
  });

  test('beside the project (not inside it) init works as before', async () => {
    const { root, dir } = await project();
    const result = await runCli(['init', join(root, 'second'), '--deps', 'none'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
  });
});
