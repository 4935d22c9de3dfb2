import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadFleet } from '../../src/fleet/fleet.js';
import { addClient } from '../../src/ops/project/add.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/snapshot.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => Promise.all(cleanups.map((cleanup) => cleanup())));

it('a failure while writing wrangler.jsonc puts the secrets file and .gitignore back as they were', async () => {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const project = join(dir, 'fleet');
  expect((await runCli(['init', project, '--deps', 'none'])).exitCode).toBe(0);
  // Without the secrets lines, add would have to extend .gitignore.
  await writeFile(join(project, '.gitignore'), 'node_modules/\n');
  const before = await snapshotDir(project);
  const fleet = await loadFleet(project);
  // The config's directory vanishing between load and write is a real filesystem fault: the write fails.
  const broken = { ...fleet, configPath: join(project, 'gone', 'wrangler.jsonc') };
  // The failure is the config write itself, the last step: the secrets file and .gitignore were already written by then.
  await expect(addClient({ fleet: broken, client: 'acme', set: new Map(), fromEnv: false, env: {}, force: false })).rejects.toMatchObject({
    code: 'ENOENT',
    path: broken.configPath,
  });
  expect(await snapshotDir(project)).toEqual(before);
});
