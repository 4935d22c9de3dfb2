import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { anchorProject, watchProject } from '../../src/local/lifecycle/project-anchor.js';
import { tempDir } from '../helpers/cli.js';

/** How an edge knows its project is still where it started (the end-to-end case is hardening/moved-project). */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function project(): Promise<{ root: string; dir: string }> {
  const { dir: root, cleanup } = await tempDir('mcp-fleet-anchor-');
  cleanups.push(cleanup);
  const dir = join(root, 'fleet');
  await mkdir(join(dir, '.mcp-fleet', 'local'), { recursive: true });
  return { root, dir };
}

describe('the project an edge was started in', () => {
  test('in place, it is fine', async () => {
    const { dir } = await project();
    expect(await (await anchorProject(dir)).problem()).toBeUndefined();
  });

  test('moved away, it is gone', async () => {
    const { root, dir } = await project();
    const anchor = await anchorProject(dir);
    await rename(dir, join(root, 'elsewhere'));
    expect(await anchor.problem()).toBe(`${dir} is gone (the project was moved or removed)`);
  });

  test('replaced by another directory of the same name, it is not the same project', async () => {
    const { root, dir } = await project();
    const anchor = await anchorProject(dir);
    await rename(dir, join(root, 'elsewhere'));
    await mkdir(join(dir, '.mcp-fleet', 'local'), { recursive: true });
    expect(await anchor.problem()).toBe(`${dir} is another directory now (the project was moved or replaced)`);
  });

  test('its .mcp-fleet/local removed, the edge is not at home either', async () => {
    const { dir } = await project();
    const anchor = await anchorProject(dir);
    await rm(join(dir, '.mcp-fleet'), { recursive: true });
    expect(await anchor.problem()).toMatch(/\.mcp-fleet\/local is gone/);
  });

  test('a write after a move is refused and stops the edge once, before the periodic check has run', async () => {
    const { root, dir } = await project();
    const reasons: string[] = [];
    const watch = watchProject(await anchorProject(dir), (reason) => reasons.push(reason), 3_600_000);
    try {
      await expect(watch.beforeWrite()).resolves.toBeUndefined();
      await rename(dir, join(root, 'elsewhere'));
      await expect(watch.beforeWrite()).rejects.toThrow(/writes nothing outside the project it was started in/);
      await expect(watch.beforeWrite()).rejects.toThrow();
      expect(reasons).toEqual([`${dir} is gone (the project was moved or removed)`]);
      await expect(watch.gone).resolves.toBe(reasons[0]);
    } finally {
      watch.close();
    }
  });

  test('the periodic check notices a move without any write', async () => {
    const { root, dir } = await project();
    const watch = watchProject(await anchorProject(dir), () => undefined, 20);
    try {
      await rename(dir, join(root, 'elsewhere'));
      await expect(watch.gone).resolves.toMatch(/is gone/);
    } finally {
      watch.close();
    }
  });
});
