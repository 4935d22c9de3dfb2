import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { makeDeployTempDir, removeDeployTempDir, removeOwnDeployDirs, sweepDeployTemp } from '../../src/cloudflare/deploy-temp.js';

// The Ctrl-C itself is tested end to end in deploy.test.ts; this pins the part a race decides: which
// directories the signal handler removes, whether or not their mkdtemp had resolved.
describe('the deploy directory that holds the secrets file', () => {
  const projects: string[] = [];
  afterAll(async () => {
    for (const dir of projects) await rm(dir, { recursive: true, force: true });
  });
  const project = async (): Promise<{ dir: string; tmp: string }> => {
    const dir = await mkdtemp(join(tmpdir(), 'deploy-temp-test-'));
    projects.push(dir);
    return { dir, tmp: join(dir, '.mcp-fleet', 'tmp') };
  };

  test('is private and under the project, named after this process', async () => {
    const { dir, tmp } = await project();
    const made = await makeDeployTempDir(dir);
    expect(made.startsWith(join(tmp, `deploy-${process.pid}-`))).toBe(true);
    expect((await stat(made)).mode & 0o777).toBe(0o700);
    await removeDeployTempDir(made);
    expect(await readdir(tmp)).toEqual([]);
  });

  test('Ctrl-C racing mkdtemp: a directory of this process nobody recorded yet is removed by the signal handler', async () => {
    const { dir, tmp } = await project();
    const made = await makeDeployTempDir(dir);
    await writeFile(join(made, 'secrets.json'), '{"API_KEY":"x"}', { mode: 0o600 });
    // What mkdtemp leaves on disk before its promise resolves: the directory exists, nothing knows its name.
    const unrecorded = join(tmp, `deploy-${process.pid}-racing`);
    await mkdir(unrecorded, { mode: 0o700 });
    // Another live mcp-fleet's deploy in the same project (the parent process stands in for it).
    const neighbour = join(tmp, `deploy-${process.ppid}-theirs`);
    await mkdir(neighbour, { mode: 0o700 });

    removeOwnDeployDirs();

    expect(await readdir(tmp)).toEqual([`deploy-${process.ppid}-theirs`]);
  });

  test("the next deploy sweeps a killed run's directory, and only a dead process's", async () => {
    const { dir, tmp } = await project();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    await mkdir(join(tmp, `deploy-${deadPid}-killed`), { mode: 0o700 });
    await writeFile(join(tmp, `deploy-${deadPid}-killed`, 'secrets.json'), '{}', { mode: 0o600 });
    await mkdir(join(tmp, `deploy-${process.ppid}-running`), { mode: 0o700 });
    await writeFile(join(tmp, 'unrelated'), '');

    const made = await makeDeployTempDir(dir);

    expect((await readdir(tmp)).sort()).toEqual([`deploy-${process.ppid}-running`, made.slice(tmp.length + 1), 'unrelated'].sort());
    expect(await sweepDeployTemp(dir)).toEqual([]);
  });
});
