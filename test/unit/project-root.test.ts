import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findProjectUp } from '../../src/config/project-root.js';
import { tempDir } from '../helpers/cli.js';

/** How the project is found upward (the CLI side is test/cli/project-root). */
let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('mcp-fleet-find-up-'));
  await mkdir(join(root, 'home', 'fleet', 'src', 'tools'), { recursive: true });
  await mkdir(join(root, 'home', 'toml', 'src'), { recursive: true });
  await writeFile(join(root, 'home', 'wrangler.jsonc'), '{}');
  await writeFile(join(root, 'home', 'fleet', 'wrangler.jsonc'), '{}');
  await writeFile(join(root, 'home', 'toml', 'wrangler.toml'), '');
});
afterAll(() => cleanup());

describe('finding the project up the tree', () => {
  test('the start itself, or the nearest parent holding a config', async () => {
    const home = join(root, 'home');
    expect(await findProjectUp(join(home, 'fleet'), home)).toEqual({ dir: join(home, 'fleet'), config: 'wrangler.jsonc' });
    expect(await findProjectUp(join(home, 'fleet', 'src', 'tools'), home)).toEqual({ dir: join(home, 'fleet'), config: 'wrangler.jsonc' });
  });

  test('a TOML project is found too (the command then says it cannot edit TOML)', async () => {
    const home = join(root, 'home');
    expect(await findProjectUp(join(home, 'toml', 'src'), home)).toEqual({ dir: join(home, 'toml'), config: 'wrangler.toml' });
  });

  test('home is not searched from below it, only when the search starts there', async () => {
    const home = join(root, 'home');
    await mkdir(join(home, 'notes'), { recursive: true });
    expect(await findProjectUp(join(home, 'notes'), home)).toBeUndefined();
    expect(await findProjectUp(home, home)).toEqual({ dir: home, config: 'wrangler.jsonc' });
  });

  test('outside home the search goes on to the filesystem root', async () => {
    expect(await findProjectUp(join(root, 'home', 'fleet', 'src'), '/nonexistent-home')).toEqual({
      dir: join(root, 'home', 'fleet'),
      config: 'wrangler.jsonc',
    });
    expect(await findProjectUp(root, '/nonexistent-home')).toBeUndefined();
  });

  test('a start that does not exist yet (init’s target) is searched from its parents', async () => {
    const home = join(root, 'home');
    expect(await findProjectUp(join(home, 'fleet', 'not-yet', 'deeper'), home)).toEqual({
      dir: join(home, 'fleet'),
      config: 'wrangler.jsonc',
    });
  });
});
